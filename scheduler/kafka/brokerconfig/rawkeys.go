package brokerconfig

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/kafka-on-mesos/terraform-provider-kafka/scheduler/validation"
)

// Raw Kafka keys for named options.
//
// server_properties takes Kafka's own property names, so that a user never
// needs DC/OS's option names (the Terraform provider exposes only
// server_properties). A key that has a named option ("num.partitions" is
// num_partitions) sets that option: the value is parsed as the option's
// type and checked by the option's rules, and the property is rendered
// once, from the option. The key stays in server_properties as given, so
// that the options read back are the options written. When both are set,
// the server_properties value wins: it is the explicit one (every named
// option always holds a value, its default if nothing else).

// effective returns the settings with every named key of server_properties
// moved onto its option, and, for each moved key, the option's JSON name →
// the key, so that problems can name the field the user wrote. Values that
// do not parse as the option's type are problems on
// "server_properties.<key>".
func (s Settings) effective() (Settings, map[string]string, validation.Problems) {
	named := s.namedKeys()
	var moved map[string]string
	var ps validation.Problems
	var extra map[string]string
	for k, v := range s.ServerProperties {
		option, ok := named[k]
		if !ok {
			continue
		}
		if moved == nil {
			moved = map[string]string{}
			extra = make(map[string]string, len(s.ServerProperties))
			for k2, v2 := range s.ServerProperties {
				extra[k2] = v2
			}
		}
		delete(extra, k)
		moved[option] = k
		if err := setOption(&s, option, strings.TrimSpace(v)); err != nil {
			ps.Addf("server_properties."+k, redact(k, v), "%v (it sets the kafka option %q)", err, option)
		}
	}
	if moved != nil {
		s.ServerProperties = extra
	}
	return s, moved, ps
}

// setOption parses value into the Settings field whose JSON name is option.
func setOption(s *Settings, option, value string) error {
	field, ok := settingsField(option)
	if !ok {
		return fmt.Errorf("has no field for option %q", option) // a table bug, never user input
	}
	v := reflect.ValueOf(s).Elem().FieldByIndex(field.Index)
	target := v
	if v.Kind() == reflect.Pointer {
		target = reflect.New(v.Type().Elem()).Elem()
	}
	switch target.Kind() {
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(value))
		if err != nil {
			return fmt.Errorf("must be true or false")
		}
		target.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("must be a whole number")
		}
		target.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("must be a number")
		}
		target.SetFloat(f)
	case reflect.String:
		target.SetString(value)
	default:
		return fmt.Errorf("option %q has the unsupported type %s", option, target.Type()) // a table bug
	}
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(target)
		v.Set(p)
	}
	return nil
}

// settingsField finds the Settings field with the given JSON name.
func settingsField(name string) (reflect.StructField, bool) {
	t := reflect.TypeOf(Settings{})
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// renameMoved points problems of options that were set through
// server_properties at the key the user wrote.
func renameMoved(ps validation.Problems, moved map[string]string) {
	for i := range ps {
		if k, ok := moved[ps[i].Field]; ok {
			ps[i].Field = "server_properties." + k
		}
	}
}

// Effective returns the settings as the brokers get them: every
// server_properties key that has a named option applied to that option.
// Values that do not parse leave the option as it was (Validate reports
// them).
func (s Settings) Effective() Settings {
	eff, _, _ := s.effective()
	return eff
}
