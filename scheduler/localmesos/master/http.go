package master

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
)

// maxBodyBytes bounds a scheduler call's body.
const maxBodyBytes = 64 << 20

// ServeScheduler serves POST /api/v1/scheduler with the real master's
// checks, status codes and messages (Master::Http::scheduler).
func (m *Master) ServeScheduler(w http.ResponseWriter, r *http.Request) {
	if !m.Elected() {
		m.redirect(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		reply(w, http.StatusMethodNotAllowed, "405 Method Not Allowed. Expecting one of { 'POST' }, but received '"+r.Method+"'.")
		return
	}
	contentTypes := r.Header.Values("Content-Type")
	if len(contentTypes) == 0 {
		reply(w, http.StatusBadRequest, "Expecting 'Content-Type' to be present")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		reply(w, http.StatusBadRequest, "Failed to read the request body: "+err.Error())
		return
	}
	var call scheduler.Call
	switch contentTypes[0] {
	case mediaProtobuf:
		if err := call.Unmarshal(body); err != nil {
			reply(w, http.StatusBadRequest, "Failed to parse body into Call protobuf")
			return
		}
		if !protoHasField(body, 2) {
			reply(w, http.StatusBadRequest, "Failed to validate scheduler::Call: Expecting 'type' to be present")
			return
		}
	case mediaJSON:
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			reply(w, http.StatusBadRequest, "Failed to parse body into JSON: "+err.Error())
			return
		}
		if err := json.Unmarshal(body, &call); err != nil {
			reply(w, http.StatusBadRequest, "Failed to convert JSON into Call protobuf: "+err.Error())
			return
		}
		if missing := missingRequired(raw, reflect.TypeOf(call), ""); len(missing) > 0 {
			reply(w, http.StatusBadRequest, "Failed to convert JSON into Call protobuf: Missing required fields: "+strings.Join(missing, ", "))
			return
		}
		if raw["type"] == nil {
			reply(w, http.StatusBadRequest, "Failed to validate scheduler::Call: Expecting 'type' to be present")
			return
		}
	default:
		reply(w, http.StatusUnsupportedMediaType, "Expecting 'Content-Type' of "+mediaJSON+" or "+mediaProtobuf)
		return
	}
	if err := validateCall(&call); err != nil {
		reply(w, http.StatusBadRequest, "Failed to validate scheduler::Call: "+err.Error())
		return
	}
	var accept string
	if call.Type == scheduler.Call_SUBSCRIBE || call.Type == scheduler.Call_RECONCILE_OPERATIONS {
		switch {
		case acceptsMediaType(r, mediaJSON):
			accept = mediaJSON
		case acceptsMediaType(r, mediaProtobuf):
			accept = mediaProtobuf
		default:
			reply(w, http.StatusNotAcceptable, "Expecting 'Accept' to allow '"+mediaProtobuf+"' or '"+mediaJSON+"'")
			return
		}
	}
	if call.Type == scheduler.Call_SUBSCRIBE {
		if len(r.Header.Values("Mesos-Stream-Id")) > 0 {
			reply(w, http.StatusBadRequest, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
			return
		}
		m.serveSubscription(w, r, *call.Subscribe, accept)
		return
	}
	code, msg := m.dispatch(r, &call)
	reply(w, code, msg)
}

func reply(w http.ResponseWriter, code int, body string) {
	if body != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(code)
	if body != "" {
		_, _ = io.WriteString(w, body)
	}
}

// redirect answers a non-leading master's request: 307 to the leader with a
// protocol-relative Location, or 503 when no leader is known.
func (m *Master) redirect(w http.ResponseWriter, r *http.Request) {
	if m.cfg.Leader == nil {
		reply(w, http.StatusServiceUnavailable, "No leader elected")
		return
	}
	leader, ok := m.cfg.Leader()
	if !ok {
		reply(w, http.StatusServiceUnavailable, "No leader elected")
		return
	}
	w.Header().Set("Location", "//"+leader.GetHostname()+":"+strconv.Itoa(int(leader.GetPort()))+r.URL.RequestURI())
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// serveSubscription answers SUBSCRIBE with 200 and a RecordIO event stream.
func (m *Master) serveSubscription(w http.ResponseWriter, r *http.Request, sub scheduler.Call_Subscribe, contentType string) {
	s := newStream(contentType)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Mesos-Stream-Id", s.id)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	m.subscribe(s, sub)
	if gone := s.serve(w, r, m.cfg.HeartbeatInterval, m.heartbeatsEnabled); gone {
		m.streamBroken(s)
	}
}

// dispatch handles every call but SUBSCRIBE and returns the HTTP answer.
func (m *Master) dispatch(r *http.Request, call *scheduler.Call) (int, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.elected || m.stopped {
		return http.StatusServiceUnavailable, "No leader elected"
	}
	fw := m.frameworks[call.GetFrameworkID().GetValue()]
	if fw == nil {
		return http.StatusBadRequest, "Framework cannot be found"
	}
	if !fw.connected {
		return http.StatusForbidden, "Framework is not subscribed"
	}
	ids := r.Header.Values("Mesos-Stream-Id")
	if len(ids) == 0 {
		return http.StatusBadRequest, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
	}
	if ids[0] != fw.stream.id {
		return http.StatusBadRequest, "The stream ID '" + ids[0] + "' included in this request didn't match the stream ID currently associated with framework ID " + fw.id
	}
	switch call.Type {
	case scheduler.Call_TEARDOWN:
		m.log.Info("processing TEARDOWN call", "framework", fw.id)
		m.removeFramework(fw)
	case scheduler.Call_ACCEPT:
		m.accept(fw, *call.Accept)
	case scheduler.Call_DECLINE:
		m.decline(fw, *call.Decline)
	case scheduler.Call_ACCEPT_INVERSE_OFFERS, scheduler.Call_DECLINE_INVERSE_OFFERS:
		// The local Mesos has no maintenance schedules, hence no inverse
		// offers: every inverse offer ID is invalid and the call is dropped.
		m.log.Warn("dropping inverse offer call: no inverse offers exist", "framework", fw.id)
	case scheduler.Call_REVIVE:
		m.revive(fw, call.Revive.GetRoles())
	case scheduler.Call_SUPPRESS:
		m.suppress(fw, call.Suppress.GetRoles())
	case scheduler.Call_KILL:
		m.kill(fw, *call.Kill)
	case scheduler.Call_SHUTDOWN:
		m.shutdownExecutor(fw, *call.Shutdown)
	case scheduler.Call_ACKNOWLEDGE:
		m.acknowledge(fw, *call.Acknowledge)
	case scheduler.Call_ACKNOWLEDGE_OPERATION_STATUS:
		// No operation asks for feedback (agents lack the capability), so
		// there is nothing to acknowledge.
	case scheduler.Call_RECONCILE:
		m.reconcile(fw, call.Reconcile.GetTasks())
	case scheduler.Call_RECONCILE_OPERATIONS:
		m.reconcileOperations(fw, call.ReconcileOperations.GetOperations())
	case scheduler.Call_MESSAGE:
		m.log.Warn("dropping framework message: the local executors do not receive messages", "framework", fw.id)
	case scheduler.Call_REQUEST:
		// The built-in allocator ignores resource requests too.
	case scheduler.Call_UPDATE_FRAMEWORK:
		if err := m.updateFramework(fw, *call.UpdateFramework); err != nil {
			return http.StatusBadRequest, err.Error()
		}
		return http.StatusOK, ""
	case scheduler.Call_UNKNOWN:
		return http.StatusNotImplemented, ""
	default:
		return http.StatusNotImplemented, ""
	}
	return http.StatusAccepted, ""
}

// validateCall ports validation::scheduler::call::validate.
func validateCall(c *scheduler.Call) error {
	if c.Type == scheduler.Call_SUBSCRIBE {
		if c.Subscribe == nil {
			return errors.New("Expecting 'subscribe' to be present")
		}
		if c.Subscribe.FrameworkInfo == nil {
			return errors.New("Not initialized: subscribe.framework_info")
		}
		if c.Subscribe.FrameworkInfo.GetID().GetValue() != c.GetFrameworkID().GetValue() {
			return errors.New("'framework_id' differs from 'subscribe.framework_info.id'")
		}
		return nil
	}
	if c.FrameworkID == nil {
		return errors.New("Expecting 'framework_id' to be present")
	}
	present := map[scheduler.Call_Type]struct {
		ok   bool
		name string
	}{
		scheduler.Call_ACCEPT:                       {c.Accept != nil, "accept"},
		scheduler.Call_DECLINE:                      {c.Decline != nil, "decline"},
		scheduler.Call_ACCEPT_INVERSE_OFFERS:        {c.AcceptInverseOffers != nil, "accept_inverse_offers"},
		scheduler.Call_DECLINE_INVERSE_OFFERS:       {c.DeclineInverseOffers != nil, "decline_inverse_offers"},
		scheduler.Call_KILL:                         {c.Kill != nil, "kill"},
		scheduler.Call_SHUTDOWN:                     {c.Shutdown != nil, "shutdown"},
		scheduler.Call_ACKNOWLEDGE:                  {c.Acknowledge != nil, "acknowledge"},
		scheduler.Call_ACKNOWLEDGE_OPERATION_STATUS: {c.AcknowledgeOperationStatus != nil, "acknowledge_operation_status"},
		scheduler.Call_RECONCILE:                    {c.Reconcile != nil, "reconcile"},
		scheduler.Call_RECONCILE_OPERATIONS:         {c.ReconcileOperations != nil, "reconcile_operations"},
		scheduler.Call_MESSAGE:                      {c.Message != nil, "message"},
		scheduler.Call_REQUEST:                      {c.Request != nil, "request"},
		scheduler.Call_UPDATE_FRAMEWORK:             {c.UpdateFramework != nil, "update_framework"},
	}
	if p, ok := present[c.Type]; ok && !p.ok {
		return fmt.Errorf("Expecting '%s' to be present", p.name)
	}
	switch c.Type {
	case scheduler.Call_ACKNOWLEDGE:
		if len(c.Acknowledge.UUID) != 16 {
			return errors.New("Not a valid UUID")
		}
	case scheduler.Call_ACKNOWLEDGE_OPERATION_STATUS:
		if len(c.AcknowledgeOperationStatus.UUID) != 16 {
			return errors.New("Not a valid UUID")
		}
		if c.AcknowledgeOperationStatus.AgentID == nil {
			return errors.New("Expecting 'agent_id' to be present")
		}
	case scheduler.Call_UPDATE_FRAMEWORK:
		if c.UpdateFramework.FrameworkInfo.GetID().GetValue() != c.FrameworkID.Value {
			return errors.New("'framework_id' differs from 'update_framework.framework_info.id'")
		}
	}
	return nil
}

// acceptsMediaType reports whether the Accept header allows mediaType (no
// header accepts everything; q=0 refuses).
func acceptsMediaType(r *http.Request, mediaType string) bool {
	values := r.Header.Values("Accept")
	if len(values) == 0 {
		return true
	}
	major := strings.SplitN(mediaType, "/", 2)[0]
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			if mt == mediaType || mt == "*/*" || mt == major+"/*" {
				return true
			}
		}
	}
	return false
}

// protoHasField reports whether top-level field num is present in a
// protobuf encoding.
func protoHasField(b []byte, num int) bool {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return false
		}
		b = b[n:]
		if int(key>>3) == num {
			return true
		}
		switch key & 7 {
		case 0:
			_, n = binary.Uvarint(b)
			if n <= 0 {
				return false
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return false
			}
			b = b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return false
			}
			b = b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return false
			}
			b = b[4:]
		default:
			return false
		}
	}
	return false
}

// missingRequired lists the required proto fields absent from a decoded JSON
// object, named like protobuf's InitializationErrorString.
func missingRequired(raw map[string]any, t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var missing []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("protobuf")
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if tag == "" || name == "" || name == "-" {
			continue
		}
		v, present := raw[name]
		if present && v == nil {
			present = false
		}
		if !present {
			if strings.Contains(tag, ",req,") {
				missing = append(missing, prefix+name)
			}
			continue
		}
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			items, _ := v.([]any)
			for j, item := range items {
				if obj, ok := item.(map[string]any); ok {
					missing = append(missing, missingRequired(obj, ft.Elem(), fmt.Sprintf("%s%s[%d].", prefix, name, j))...)
				}
			}
		case ft.Kind() == reflect.Struct || (ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct):
			if obj, ok := v.(map[string]any); ok {
				missing = append(missing, missingRequired(obj, ft, prefix+name+".")...)
			}
		}
	}
	sort.Strings(missing)
	return missing
}
