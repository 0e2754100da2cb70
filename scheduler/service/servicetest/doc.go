// Package servicetest is the test harness of package service: a fake Mesos
// master (Master) that records every call a service makes and feeds it
// offers and task status updates, a clock tests move by hand (Clock), and a
// state store wrapper (Store) that journals writes and fails or delays them
// on demand. The master's calls and the store's writes go into one Journal,
// so a test can check their order ("the task record is stored before its
// ACCEPT", "a status is stored before its acknowledgement").
//
// Nothing here opens a socket or starts a process; the offer builders make
// mesos-go values as a master sends them (Offer for unreserved resources,
// ReservedOffer for what a launch reserved).
package servicetest
