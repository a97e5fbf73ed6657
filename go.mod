module github.com/pegasus-go/pegasus

go 1.26.8

require (
	github.com/apache/thrift v0.17.0
	github.com/linxGnu/grocksdb v1.7.15
)
