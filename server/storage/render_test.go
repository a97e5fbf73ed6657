package storage

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
)

var blobType = reflect.TypeOf(base.Blob{})

// render prints a response (or any thrift struct) canonically: blobs as
// quoted bytes (nil and empty alike), nil pointers as "nil", fields by name.
// Two responses are equal for the tests iff they render the same.
func render(v any) string {
	var b strings.Builder
	renderValue(&b, reflect.ValueOf(v))
	return b.String()
}

func renderValue(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			if v.Type().Elem() == blobType {
				b.WriteString(`""`)
				return
			}
			b.WriteString("nil")
			return
		}
		renderValue(b, v.Elem())
	case reflect.Struct:
		if v.Type() == blobType {
			fmt.Fprintf(b, "%q", v.Field(0).Bytes())
			return
		}
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(v.Type().Field(i).Name + ":")
			renderValue(b, v.Field(i))
		}
		b.WriteString("}")
	case reflect.Slice:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			renderValue(b, v.Index(i))
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}
