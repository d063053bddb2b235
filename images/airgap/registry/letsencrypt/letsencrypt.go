// Package letsencrypt stands in for rsc.io/letsencrypt, which Distribution
// v2.8.3 imports for its http.tls.letsencrypt setting. The Go module proxy
// serves neither that module nor the fork v2.8.3 vendored, and the ACME v1
// protocol they speak is no longer offered by Let's Encrypt, so the setting
// could not work anyway: here it fails at start with a clear error. Only the
// API that registry/registry.go calls is provided.
package letsencrypt

import (
	"crypto/tls"
	"errors"
)

// ErrUnsupported is returned by every Manager method that would need ACME.
var ErrUnsupported = errors.New("http.tls.letsencrypt is not supported by this registry build (ACME v1 client not included); use http.tls.certificate and http.tls.key")

// Manager has the methods of rsc.io/letsencrypt's Manager that the registry uses.
type Manager struct{}

// CacheFile fails: there is no ACME client to fill the cache.
func (m *Manager) CacheFile(name string) error { return ErrUnsupported }

// Registered reports no ACME registration.
func (m *Manager) Registered() bool { return false }

// Register fails: there is no ACME client.
func (m *Manager) Register(email string, prompt func(string) bool) error { return ErrUnsupported }

// SetHosts does nothing.
func (m *Manager) SetHosts(hosts []string) {}

// GetCertificate fails: no certificate can be obtained.
func (m *Manager) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return nil, ErrUnsupported
}
