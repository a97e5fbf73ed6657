package rpc

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHTTPSharesThePort(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pegasus-go test\n") })
	f := startServer(t, ServerOptions{HTTP: mux}, func(s *Server) { s.Handle(rpcGet, echoGet) })
	hc := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 3; i++ {
		resp, err := hc.Get("http://" + f.addr + "/version")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "pegasus-go") {
			t.Fatalf("GET /version: %d %q", resp.StatusCode, body)
		}
	}
	resp, err := hc.Post("http://"+f.addr+"/nothing", "text/plain", strings.NewReader("x"))
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("POST /nothing: %v %v", resp, err)
	}
	resp.Body.Close()
	// Thrift keeps working on the same port.
	c := dial(t, f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if v, err := get(ctx, c, []byte("thrift")); err != nil || string(v) != "thrift" {
		t.Fatalf("thrift after HTTP: %q %v", v, err)
	}
}
