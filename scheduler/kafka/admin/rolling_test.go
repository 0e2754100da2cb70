package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestBackInSync(t *testing.T) {
	cases := []struct {
		name    string
		sc      scenario
		broker  int32
		inSync  bool
		live    bool
		missing []string
	}{
		{"in every ISR", scenario{controller: 0, brokers: []int32{0, 1, 2}, topics: map[string][][2][]int32{
			"orders": {replicasISR([]int32{0, 1, 2}, []int32{0, 1, 2}), replicasISR([]int32{1, 2, 0}, []int32{1, 2, 0})},
		}}, 2, true, true, nil},
		{"live but still catching up", scenario{controller: 0, brokers: []int32{0, 1, 2}, topics: map[string][][2][]int32{
			"orders": {replicasISR([]int32{0, 1, 2}, []int32{0, 1}), replicasISR([]int32{1, 2, 0}, []int32{1, 2, 0})},
			"solo":   {replicasISR([]int32{2}, []int32{2})},
		}}, 2, false, true, []string{"orders-0"}},
		{"not back yet", scenario{controller: 0, brokers: []int32{0, 1}, topics: map[string][][2][]int32{
			"orders": {replicasISR([]int32{0, 1, 2}, []int32{0, 1}), replicasISR([]int32{1, 2, 0}, []int32{1, 0})},
		}}, 2, false, false, []string{"orders-0", "orders-1"}},
		{"holds no replica: in sync once live", scenario{controller: 0, brokers: []int32{0, 1, 2}, topics: map[string][][2][]int32{
			"orders": {replicasISR([]int32{0, 1}, []int32{0, 1})},
		}}, 2, true, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := newRestartCluster(t, c.sc)
			check, err := cl.BackInSync(context.Background(), c.broker)
			if err != nil {
				t.Fatal(err)
			}
			var missing []string
			for _, p := range check.Missing {
				missing = append(missing, fmt.Sprintf("%s-%d", p.Topic, p.Partition))
			}
			if check.InSync != c.inSync || check.Live != c.live || strings.Join(missing, ",") != strings.Join(c.missing, ",") {
				t.Errorf("check = in sync %v, live %v, missing %v; want %v, %v, %v (%s)", check.InSync, check.Live, missing, c.inSync, c.live, c.missing, check.Reason())
			}
			if len(c.missing) > 0 && c.live && !strings.Contains(check.Reason(), c.missing[0]) {
				t.Errorf("reason %q does not name %s", check.Reason(), c.missing[0])
			}
		})
	}
	cl := newRestartCluster(t, scenario{controller: 0, brokers: []int32{0}})
	if _, err := cl.BackInSync(context.Background(), -1); !isProblem(err) {
		t.Errorf("broker -1: err = %v, want a validation problem", err)
	}
}

func TestController(t *testing.T) {
	cl := newRestartCluster(t, scenario{controller: 2, brokers: []int32{0, 1, 2}})
	id, err := cl.Controller(context.Background())
	if err != nil || id != 2 {
		t.Fatalf("controller = %d, %v; want 2", id, err)
	}
	gone := newRestartCluster(t, scenario{controller: 2, brokers: []int32{0, 1}})
	if _, err := gone.Controller(context.Background()); !errors.Is(err, ErrNoController) || !strings.Contains(err.Error(), "finding the active controller") {
		t.Errorf("a controller that is not live: err = %v", err)
	}
}

func TestApplyClusterConfigsValidatesFirst(t *testing.T) {
	_, cl, log := newFakeCluster(t)
	log.reset()
	v := "1"
	for name, in := range map[string][]ClusterConfig{
		"none":       nil,
		"empty key":  {{Key: "", Value: &v}},
		"repeat key": {{Key: "max.connections", Value: &v}, {Key: "max.connections"}},
	} {
		if err := cl.ApplyClusterConfigs(context.Background(), in); !isProblem(err) {
			t.Errorf("%s: err = %v, want validation problems", name, err)
		}
	}
	if others := log.others(); len(others) != 0 {
		t.Errorf("bad input sent requests: %v", others)
	}
}

// A read-back that disagrees with what was applied is an error naming the
// key, whichever way it disagrees.
func TestApplyClusterConfigsVerifies(t *testing.T) {
	for _, c := range []struct {
		name   string
		shown  map[string]string // BROKER "" as DescribeConfigs answers
		apply  []ClusterConfig
		errHas string
	}{
		{"set and shown", map[string]string{"max.connections": "100"}, []ClusterConfig{{Key: "max.connections", Value: strp("100")}}, ""},
		{"deleted and gone", map[string]string{}, []ClusterConfig{{Key: "max.connections"}}, ""},
		{"set but not shown", map[string]string{}, []ClusterConfig{{Key: "max.connections", Value: strp("100")}}, "max.connections: it was set to \"100\", but DescribeConfigs does not show it"},
		{"set but another value", map[string]string{"max.connections": "7"}, []ClusterConfig{{Key: "max.connections", Value: strp("100")}}, `shows "7"`},
		{"deleted but still shown", map[string]string{"log.retention.bytes": "9"}, []ClusterConfig{{Key: "log.retention.bytes"}}, "log.retention.bytes: it was deleted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, cl, _ := newFakeCluster(t)
			var altered []kmsg.IncrementalAlterConfigsRequestResource
			k.ControlKey(int16(kmsg.IncrementalAlterConfigs), func(req kmsg.Request) (kmsg.Response, error, bool) {
				k.KeepControl()
				r := req.(*kmsg.IncrementalAlterConfigsRequest)
				altered = append(altered, r.Resources...)
				resp := r.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
				for _, res := range r.Resources {
					rr := kmsg.NewIncrementalAlterConfigsResponseResource()
					rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
					resp.Resources = append(resp.Resources, rr)
				}
				return resp, nil, true
			})
			k.ControlKey(int16(kmsg.DescribeConfigs), func(req kmsg.Request) (kmsg.Response, error, bool) {
				k.KeepControl()
				resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
				rr := kmsg.NewDescribeConfigsResponseResource()
				rr.ResourceType = kmsg.ConfigResourceTypeBroker
				for key, v := range c.shown {
					e := kmsg.NewDescribeConfigsResponseResourceConfig()
					e.Name, e.Value, e.Source = key, strp(v), kmsg.ConfigSourceDynamicDefaultBrokerConfig
					rr.Configs = append(rr.Configs, e)
				}
				resp.Resources = append(resp.Resources, rr)
				return resp, nil, true
			})
			err := cl.ApplyClusterConfigs(context.Background(), c.apply)
			if c.errHas == "" && err != nil || c.errHas != "" && (err == nil || !strings.Contains(err.Error(), c.errHas)) {
				t.Fatalf("err = %v, want %q", err, c.errHas)
			}
			if c.errHas != "" {
				var mismatch *ConfigMismatchError
				if !errors.As(err, &mismatch) || mismatch.Key != c.apply[0].Key {
					t.Errorf("err %v is not a *ConfigMismatchError for %s", err, c.apply[0].Key)
				}
			}
			if len(altered) != 1 || altered[0].ResourceType != kmsg.ConfigResourceTypeBroker || altered[0].ResourceName != "" {
				t.Fatalf("altered %+v, want one BROKER \"\" resource", altered)
			}
			wantOp := kmsg.IncrementalAlterConfigOpSet
			if c.apply[0].Value == nil {
				wantOp = kmsg.IncrementalAlterConfigOpDelete
			}
			if got := altered[0].Configs[0]; got.Name != c.apply[0].Key || got.Op != wantOp {
				t.Errorf("sent %+v, want %s with op %v", got, c.apply[0].Key, wantOp)
			}
		})
	}
}

func strp(s string) *string { return &s }
