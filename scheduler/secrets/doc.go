// Package secrets owns the scheduler's secret store: secret values
// encrypted at rest in the state store, who may read them, and which
// services use them. It is what DC/OS Enterprise's secret store was to DC/OS
// Kafka, for every Mesos user.
//
// # Encryption
//
// Every value is sealed with AES-256-GCM (crypto/cipher, standard library)
// under a fresh random 12-byte nonce, with the secret's path, version and
// binary flag as additional data, so that a ciphertext copied to another
// secret or version does not open. The state store (ZooKeeper in
// production) only ever holds the sealed record: clear metadata (path,
// version, timestamps, binary flag, key id) and the ciphertext.
//
// Keys come in a Keyring: several 32-byte keys, the first one encrypting,
// all of them decrypting. Each record stores the id of the key that sealed
// it (an HMAC of a fixed label under the key, which reveals nothing about
// the key). Open checks that the keyring opens every stored record and
// otherwise refuses to start with a *KeyMismatchError naming the missing key
// ids and the secrets under them, changing nothing: a wrong or missing key
// is a start-up error, never a crash or an empty value. A rotation puts the
// new key first and keeps the old ones after it; with Options.Rewrap, Open
// then re-encrypts the older records with the new key (versions unchanged),
// after which the old keys can be dropped.
//
// # Values never leak
//
// A value is a Value, whose String, GoString, Format (every verb),
// LogValue, MarshalJSON and MarshalText all show "[redacted]"; its bytes
// sit behind a pointer so that even a struct holding one prints an
// address. Reveal is the only way to the bytes. No error, log line or Info
// of this package holds a value.
//
// # Paths and authorization
//
// Secret paths are relative ("kafka/keystore"; absolute paths are refused,
// as in DC/OS), with segments of letters, digits, '.', '_' and '-'. A last
// segment starting with __dcos_base64__ holds base64 text that is delivered
// decoded; a value written with PutOptions.Base64 (the API's "binary": true)
// is decoded the same way. Either way the decoded bytes are stored and
// delivered, and Info.Binary is true.
//
// A secret's folder is a namespace (Allowed): a service may read a secret
// when the secret's folder is the service's own ID or one of its ancestors
// ("secret-svc/x" is readable by /secret-svc and /secret-svc/a/b, never by
// /user or a sibling), exactly the table of DC/OS's "Authorization for
// Secrets". Resolve checks it before it returns a value.
//
// # Used by
//
// SetUsers records which secrets a service uses; Info.UsedBy shows them and
// Delete refuses (ErrInUse) a secret that is used. The record of use and the
// secret's existence are checked in one atomic commit, so a delete and a new
// use cannot interleave.
//
// # State layout
//
// Under the top-level key StateKey ("secrets"): Values/<path> holds each
// record, Users/<path>/<service> marks each use and Services/<service>
// lists the secrets of a service, with paths and service names path-escaped
// into one key segment.
package secrets
