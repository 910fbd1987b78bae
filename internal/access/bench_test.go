package access_test

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkVerify measures verifications served from the cache, in
// parallel, over 1,000 API keys of 100 users.
func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	var secrets []string
	for i := range 100 {
		u := e.user(fmt.Sprintf("user%d@acme.test", i))
		e.group(fmt.Sprintf("Group %d", i), u)
		for range 10 {
			s, _ := e.apiKey(u)
			secrets = append(secrets, s)
		}
	}
	for _, s := range secrets {
		if r, err := e.v.Verify(e.ctx, s); err != nil || !r.Valid {
			b.Fatalf("Verify = %+v, %v", r, err)
		}
	}
	var n atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(n.Add(1)) * 7919
		for pb.Next() {
			i++
			r, err := e.v.Verify(e.ctx, secrets[i%len(secrets)])
			if err != nil || !r.Valid {
				b.Fatalf("Verify = %+v, %v", r, err)
			}
		}
	})
}
