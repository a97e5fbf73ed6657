package cluster

import "github.com/pegasus-go/pegasus/thrift/base"

func errorsIsErrno(name string) error { return base.Errno(name) }
