package meta

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
)

var errorCodeType = reflect.TypeFor[*base.ErrorCode]()

// errorResult returns the result struct of RPC e holding a response whose
// err field is errno and whose other fields are zero. Every RPC of
// protocol.md §2.3 has such a response, so one function answers any of
// them with ERR_FORWARD_TO_OTHERS, ERR_SERVICE_NOT_ACTIVE or
// ERR_NOT_IMPLEMENTED.
//
// The generated writers dereference non-optional struct fields and refuse
// an unset error_code, so every such field is filled: nested error codes
// with errno too, other structs with their zero value.
func errorResult(e catalog.Entry, errno base.Errno) (thrift.TStruct, error) {
	result := e.NewResult()
	if result == nil {
		return nil, fmt.Errorf("%s has no result", e.Name)
	}
	rv := reflect.ValueOf(result).Elem()
	success := rv.FieldByName("Success")
	if !success.IsValid() || success.Kind() != reflect.Pointer || success.Type().Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("%s: result has no struct field Success", e.Name)
	}
	resp := reflect.New(success.Type().Elem())
	if !fillRequired(resp, errno, 0) {
		return nil, fmt.Errorf("%s: response %v has no err field", e.Name, resp.Type())
	}
	success.Set(resp)
	return result, nil
}

// fillRequired sets the non-optional pointer fields of the struct v points
// to and reports whether it set an error_code field of v itself.
func fillRequired(v reflect.Value, errno base.Errno, depth int) bool {
	sv := v.Elem()
	st := sv.Type()
	found := false
	for i := range st.NumField() {
		f, fv := st.Field(i), sv.Field(i)
		if !f.IsExported() || fv.Kind() != reflect.Pointer || !fv.IsNil() {
			continue
		}
		if f.Type == errorCodeType {
			fv.Set(reflect.ValueOf(base.NewErrorCode(errno)))
			found = true
			continue
		}
		optional := strings.Contains(f.Tag.Get("json"), ",omitempty")
		if optional || f.Type.Elem().Kind() != reflect.Struct || depth > 8 {
			continue
		}
		nv := reflect.New(f.Type.Elem())
		fillRequired(nv, errno, depth+1)
		fv.Set(nv)
	}
	return found
}
