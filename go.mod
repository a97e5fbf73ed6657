module github.com/pegasus-go/pegasus

go 1.26.8

require (
	github.com/apache/thrift v0.17.0
	github.com/go-zookeeper/zk v1.0.4
	github.com/linxGnu/grocksdb v1.7.15
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
