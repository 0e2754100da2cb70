package offers

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Need is what one pod instance needs from an offer.
type Need struct {
	// Pod names the pod instance, e.g. "kafka-0"; it appears in reasons.
	Pod      string
	CPUs     float64
	Mem      float64
	Disk     DiskNeed
	Ports    []PortNeed
	Executor ExecutorNeed
	// Placement is checked for a pod without a footprint; it returns why an
	// offer's agent is not allowed, or nil.
	Placement func(*mesos.Offer) error
	// Footprint, when set, pins the pod to the reservations it already
	// holds: only an offer that carries all of them fits.
	Footprint *Footprint
}

// DiskNeed is the pod's persistent volume.
type DiskNeed struct {
	SizeMB        float64
	Mount         bool // a whole MOUNT disk instead of ROOT disk space
	ContainerPath string
}

// PortNeed is one named port; Port 0 takes any offered port.
type PortNeed struct {
	Name string
	Port uint64
}

// ExecutorNeed is the default executor's share of the pod's resources.
type ExecutorNeed struct {
	CPUs, Mem, Disk float64
}

// Footprint is what a pod instance holds on its agent: the resource ids of
// its reservations, its volume and its ports. It is stored with the pod so
// that a relaunch finds the same resources again.
type Footprint struct {
	AgentID  string `json:"agent_id"`
	Hostname string `json:"hostname"`
	// ResourceIDs maps a resource's role in the pod ("cpus", "mem", "disk",
	// "port:broker", "executor:cpus", ...) to its resource_id label.
	ResourceIDs map[string]string `json:"resource_ids"`
	VolumeID    string            `json:"volume_id"`
	Ports       map[string]uint64 `json:"ports"`
}

// IDs returns the footprint's resource ids, sorted.
func (f Footprint) IDs() []string {
	ids := make([]string, 0, len(f.ResourceIDs))
	for _, id := range f.ResourceIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Match is how a need fits into one offer.
type Match struct {
	Offer *mesos.Offer
	// Operations to send before the launch: RESERVE and CREATE for a new
	// pod; for a relaunch, none, or the UNRESERVE and RESERVE that resize
	// its reservations to a new configuration's cpus and mem (resize.go).
	Operations []mesos.Offer_Operation
	// Fresh is true when the match makes the pod's first reservations
	// (they may turn out never to have been made); a relaunch, even one
	// that resizes its reservations, keeps the ones it has.
	Fresh bool
	// TaskResources and ExecutorResources are the reserved resources to put
	// on the task and on the default executor.
	TaskResources     []mesos.Resource
	ExecutorResources []mesos.Resource
	Footprint         Footprint
}

// Evaluate fits need into offer. It returns the match, or a *Mismatch that
// says in words every reason why the offer does not fit.
func Evaluate(need Need, offer *mesos.Offer, res Reservation, newID func() string) (*Match, error) {
	if need.Footprint != nil {
		return relaunch(need, offer, res)
	}
	if need.Placement != nil {
		if err := need.Placement(offer); err != nil {
			var m *Mismatch
			if errors.As(err, &m) {
				return nil, m
			}
			return nil, mismatch(Reason{Class: ClassPlacement, Detail: err.Error()})
		}
	}
	return reserveNew(need, offer, res, newID)
}

// reserveNew reserves fresh resources for a pod that has none.
func reserveNew(need Need, offer *mesos.Offer, res Reservation, newID func() string) (*Match, error) {
	p := newPool(offer)
	var short []Reason
	add := func(r *Reason) {
		if r != nil {
			short = append(short, *r)
		}
	}
	add(takeScalar(CPUs, &p.cpus, need.CPUs+need.Executor.CPUs))
	add(takeScalar(Mem, &p.mem, need.Mem+need.Executor.Mem))
	var mount mesos.Resource
	if need.Disk.Mount {
		var r *Reason
		mount, r = p.takeMount(need.Disk.SizeMB)
		add(r)
		add(takeScalar("disk (ROOT, executor)", &p.rootDisk, need.Executor.Disk))
	} else {
		add(takeScalar("disk (ROOT)", &p.rootDisk, need.Disk.SizeMB+need.Executor.Disk))
	}
	ports := map[string]uint64{}
	for _, pn := range need.Ports {
		port, r := p.takePort(pn.Name, pn.Port)
		add(r)
		ports[pn.Name] = port
	}
	if len(short) > 0 {
		return nil, mismatch(short...)
	}

	m := &Match{Offer: offer, Fresh: true, Footprint: Footprint{
		AgentID: offer.AgentID.Value, Hostname: offer.Hostname,
		ResourceIDs: map[string]string{}, Ports: ports,
	}}
	reserve := func(key string, r mesos.Resource) mesos.Resource {
		id := newID()
		m.Footprint.ResourceIDs[key] = id
		r.Role, r.Reservation = nil, nil
		r.Reservations = append(append([]mesos.Resource_ReservationInfo(nil), r.Reservations...), res.reservationInfo(id))
		return r
	}
	task := []mesos.Resource{reserve(CPUs, scalar(CPUs, need.CPUs)), reserve(Mem, scalar(Mem, need.Mem))}
	for _, pn := range need.Ports {
		task = append(task, reserve("port:"+pn.Name, portRange(ports[pn.Name])))
	}
	var disk mesos.Resource
	if need.Disk.Mount {
		mount.AllocationInfo = nil
		disk = reserve(Disk, mount)
	} else {
		disk = reserve(Disk, scalar(Disk, need.Disk.SizeMB))
	}
	executor := []mesos.Resource{
		reserve(executorKeyPrefix+CPUs, scalar(CPUs, need.Executor.CPUs)),
		reserve(executorKeyPrefix+Mem, scalar(Mem, need.Executor.Mem)),
		reserve(executorKeyPrefix+Disk, scalar(Disk, need.Executor.Disk)),
	}

	toReserve := append(append(append([]mesos.Resource(nil), task...), disk), executor...)
	m.Operations = append(m.Operations, mesos.Offer_Operation{
		Type: mesos.Offer_Operation_RESERVE, Reserve: &mesos.Offer_Operation_Reserve{Resources: toReserve},
	})

	m.Footprint.VolumeID = newID()
	volume := withVolume(disk, m.Footprint.VolumeID, res.Principal, need.Disk.ContainerPath)
	m.Operations = append(m.Operations, mesos.Offer_Operation{
		Type: mesos.Offer_Operation_CREATE, Create: &mesos.Offer_Operation_Create{Volumes: []mesos.Resource{volume}},
	})
	m.TaskResources = append(task, volume)
	m.ExecutorResources = executor
	return m, nil
}

func withVolume(disk mesos.Resource, id, principal, containerPath string) mesos.Resource {
	info := mesos.Resource_DiskInfo{}
	if disk.Disk != nil {
		info = *disk.Disk
	}
	info.Persistence = &mesos.Resource_DiskInfo_Persistence{ID: id, Principal: strPtr(principal)}
	info.Volume = &mesos.Volume{Mode: mesos.RW.Enum(), ContainerPath: containerPath}
	disk.Disk = &info
	return disk
}

// relaunch finds the pod's own reservations in the offer.
func relaunch(need Need, offer *mesos.Offer, res Reservation) (*Match, error) {
	fp := need.Footprint
	if offer.AgentID.Value != fp.AgentID {
		return nil, mismatch(Reason{Class: ClassOtherAgent,
			Detail: fmt.Sprintf("%s is bound to its reservations on agent %s (%s); this offer is from %s", need.Pod, fp.Hostname, fp.AgentID, offer.Hostname)})
	}
	byID := map[string]mesos.Resource{}
	for _, r := range offer.Resources {
		if res.ours(&r) {
			byID[ResourceID(&r)] = r
		}
	}
	m := &Match{Offer: offer, Footprint: *fp}
	sizes := resizable(need)
	z := &resizer{pod: need.Pod, hostname: offer.Hostname, pool: newPool(offer)}
	var missing []string
	keys := make([]string, 0, len(fp.ResourceIDs))
	for key := range fp.ResourceIDs {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		r, ok := byID[fp.ResourceIDs[key]]
		if !ok {
			missing = append(missing, key)
			continue
		}
		if key == Disk && r.Disk.GetPersistence().GetID() != fp.VolumeID {
			missing = append(missing, "volume "+fp.VolumeID)
			continue
		}
		if want, ok := sizes[key]; ok {
			r = z.resize(key, r, want)
		}
		if strings.HasPrefix(key, executorKeyPrefix) {
			m.ExecutorResources = append(m.ExecutorResources, r)
		} else {
			m.TaskResources = append(m.TaskResources, r)
		}
	}
	if len(missing) > 0 {
		return nil, mismatch(Reason{Class: ClassReservationsNotOffered,
			Detail: fmt.Sprintf("offer lacks %s's reserved %v (not offered yet, or still in use by a previous launch)", need.Pod, missing)})
	}
	if len(z.short) > 0 {
		return nil, mismatch(z.short...)
	}
	m.Operations = z.operations()
	return m, nil
}

// Cleanup returns the operations that release every reserved resource of
// ours in the offer whose resource_id keep does not want: DESTROY for
// volumes, then UNRESERVE. It returns nil when there is nothing to release.
func Cleanup(offer *mesos.Offer, res Reservation, keep func(resourceID string) bool) []mesos.Offer_Operation {
	var destroy, unreserve []mesos.Resource
	for _, r := range offer.Resources {
		if !res.ours(&r) || keep(ResourceID(&r)) {
			continue
		}
		r.AllocationInfo = nil
		if r.Disk.GetPersistence() != nil {
			destroy = append(destroy, r)
			info := *r.Disk
			info.Persistence, info.Volume = nil, nil
			if info.Source == nil {
				r.Disk = nil
			} else {
				r.Disk = &info
			}
		}
		unreserve = append(unreserve, r)
	}
	var ops []mesos.Offer_Operation
	if len(destroy) > 0 {
		ops = append(ops, mesos.Offer_Operation{Type: mesos.Offer_Operation_DESTROY, Destroy: &mesos.Offer_Operation_Destroy{Volumes: destroy}})
	}
	if len(unreserve) > 0 {
		ops = append(ops, mesos.Offer_Operation{Type: mesos.Offer_Operation_UNRESERVE, Unreserve: &mesos.Offer_Operation_Unreserve{Resources: unreserve}})
	}
	return ops
}
