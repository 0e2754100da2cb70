package localmesos_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/backoff"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/callrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/controller"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/eventrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/localmesos"
)

// BenchmarkOfferCycle1000Agents measures how many offers per second the
// master generates and takes back through ACCEPT (with no operation and no
// refuse filter, so the resources are offered again at once) with 1,000
// agents, over real HTTP with the protobuf codec.
func BenchmarkOfferCycle1000Agents(b *testing.B) {
	agents := make([]localmesos.AgentConfig, 1000)
	for i := range agents {
		agents[i] = localmesos.AgentConfig{CPUs: 8, MemMB: 16384, DiskMB: 10240}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := localmesos.Start(ctx, localmesos.Config{WorkDir: b.TempDir(), Agents: agents, HeartbeatInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	fid := store.NewInMemorySingleton()
	cli := httpcli.New(httpcli.Endpoint(c.SchedulerURL()), httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeProtobuf]),
		httpcli.Do(httpcli.With(httpcli.Timeout(10*time.Second), httpcli.Transport(func(t *http.Transport) { t.MaxIdleConnsPerHost = 64 }))))
	caller := callrules.New(callrules.WithFrameworkID(store.GetIgnoreErrors(fid))).Caller(httpsched.NewCaller(cli))

	offers := make(chan mesos.OfferID, 100000)
	var received atomic.Int64
	handler := eventrules.New(controller.TrackSubscription(fid, time.Minute)).HandleF(func(_ context.Context, e *scheduler.Event) error {
		if e.GetType() == scheduler.Event_OFFERS {
			for _, o := range e.GetOffers().GetOffers() {
				received.Add(1)
				offers <- o.ID
			}
		}
		return nil
	})
	failover := 60.0
	info := &mesos.FrameworkInfo{User: "bench", Name: "bench", Roles: []string{role}, FailoverTimeout: &failover,
		Capabilities: []mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE}}}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = controller.Run(runCtx, info, caller, controller.WithEventHandler(handler),
			controller.WithFrameworkID(store.GetIgnoreErrors(fid)),
			controller.WithRegistrationTokens(backoff.Notifier(10*time.Millisecond, 100*time.Millisecond, runCtx.Done())))
	}()
	defer func() { stop(); <-done }()

	// Warm up: the first round of 1,000 offers.
	for i := 0; i < len(agents); i++ {
		id := <-offers
		_ = calls.CallNoData(context.Background(), caller, calls.Accept(calls.OfferOperations{}.WithOffers(id)).With(calls.RefuseSeconds(0)))
	}

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var accepted atomic.Int64
	work := make(chan mesos.OfferID)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := calls.CallNoData(context.Background(), caller, calls.Accept(calls.OfferOperations{}.WithOffers(id)).With(calls.RefuseSeconds(0))); err == nil {
					accepted.Add(1)
				}
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		work <- <-offers
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(accepted.Load())/elapsed.Seconds(), "offers/s")
}
