package devkafka_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/brokerconfig"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka"
	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/kafka/devkafka/devkafkatest"
)

// tarball is built once for the whole test binary.
var tarball string

func TestMain(m *testing.M) {
	os.Exit(devkafkatest.RunWithDistribution(m, &tarball))
}

func TestDistributionIsLaidOutLikeApacheKafka(t *testing.T) {
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]int64{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
	}
	for name, mode := range map[string]int64{
		"kafka-dev/bin/kafka-server-start.sh": 0o755,
		"kafka-dev/libs/kafka-dev-broker":     0o755,
		"kafka-dev/config/server.properties":  0o644,
		"kafka-dev/README.md":                 0o644,
	} {
		if modes[name] != mode {
			t.Errorf("%s: mode %o, want %o (entries: %v)", name, modes[name], mode, modes)
		}
	}
}

func TestPackDistributionIsReproducible(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "broker")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := devkafka.PackDistribution(&a, bin); err != nil {
		t.Fatal(err)
	}
	if err := devkafka.PackDistribution(&b, bin); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two packs of the same binary differ")
	}
}

// metadataFrom asks one broker directly, bypassing any client cache.
func metadataFrom(t *testing.T, addr string) *kmsg.MetadataResponse {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cl.SeedBrokers()[0].Request(ctx, kmsg.NewPtrMetadataRequest())
	if err != nil {
		t.Fatalf("metadata from %s: %v", addr, err)
	}
	return resp.(*kmsg.MetadataResponse)
}

func liveIDs(md *kmsg.MetadataResponse) []int32 {
	var ids []int32
	for _, b := range md.Brokers {
		ids = append(ids, b.NodeID)
	}
	slices.Sort(ids)
	return ids
}

func TestBrokersFromTheTarballFormOneClusterAcrossProcesses(t *testing.T) {
	settings := brokerconfig.DefaultSettings()
	settings.DeleteTopicEnable = true
	c := devkafkatest.StartCluster(t, tarball, 3, settings)
	ctx := context.Background()

	for _, b := range c.Brokers {
		out, _ := os.ReadFile(filepath.Join(b.Sandbox, "stdout"))
		if !strings.Contains(string(out), fmt.Sprintf("[KafkaServer id=%d] started", b.ID)) || !strings.Contains(string(out), "dev stand-in") {
			t.Errorf("broker %d stdout lacks the readiness line or the stand-in label:\n%s", b.ID, out)
		}
	}
	if c.Brokers[0].Port != c.Brokers[1].Port {
		t.Fatal("the brokers are meant to share one port on different addresses")
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers[2].Addr()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if resp, err := adm.CreateTopic(ctx, 3, 1, nil, "payments"); err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	for p := range int32(3) {
		for i := range 4 {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "payments", Partition: p, Value: []byte{byte(i)}}).FirstErr(); err != nil {
				t.Fatalf("produce to partition %d: %v", p, err)
			}
		}
	}

	c.Brokers[1].Kill(t)
	if got := liveIDs(metadataFrom(t, c.Brokers[0].Addr())); !reflect.DeepEqual(got, []int32{0, 2}) {
		t.Fatalf("right after SIGKILL of broker 1, live brokers = %v, want [0 2]", got)
	}
	c.Brokers[1].Start(t)
	if got := liveIDs(metadataFrom(t, c.Brokers[0].Addr())); !reflect.DeepEqual(got, []int32{0, 1, 2}) {
		t.Fatalf("after restarting broker 1, live brokers = %v", got)
	}
	ends, err := adm.ListEndOffsets(ctx, "payments")
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset != 4 {
			t.Errorf("partition %d after the SIGKILL and restart: end offset %d err %v, want 4", o.Partition, o.Offset, o.Err)
		}
	})

	c.Brokers[2].Stop(t)
	if code := c.Brokers[2].ExitCode(); code != 0 {
		t.Errorf("SIGTERM must shut the broker down cleanly, exit code %d", code)
	}
	if !strings.Contains(c.Brokers[2].Log(), "[KafkaServer id=2] shut down completed") {
		t.Errorf("server.log lacks the shutdown line:\n%s", c.Brokers[2].Log())
	}
	if got := liveIDs(metadataFrom(t, c.Brokers[0].Addr())); !reflect.DeepEqual(got, []int32{0, 1}) {
		t.Fatalf("after SIGTERM of broker 2, live brokers = %v, want [0 1]", got)
	}
}
