// Command fake-gpu stands in for the NVIDIA device plugin on a CI node that has no GPU.
//
// As a device plugin (the default) it registers the extended resource nvidia.com/gpu with one
// kubelet (kubelet.sock in that kubelet's device-plugins directory) and advertises -count healthy
// devices. When the kubelet admits a container that requests some of them, Allocate answers the way
// the NVIDIA plugin does with its default "envvar" strategy: NVIDIA_VISIBLE_DEVICES lists the IDs of
// the devices the kubelet chose. The NVIDIA container toolkit then also injects the driver's
// utilities, nvidia-smi among them, into such containers; with -nvidia-smi this plugin mounts itself
// at /usr/bin/nvidia-smi instead, so the image's GPU discovery script finds a tool that answers for
// exactly the devices of that container. Nothing else is faked: there is no /dev/nvidia*, no driver
// library and no CUDA.
//
// Invoked as nvidia-smi (its file name), it is that tool: it lists the devices named in
// NVIDIA_VISIBLE_DEVICES, numbered from 0 as nvidia-smi numbers the GPUs a container sees.
//
// The plugin re-registers when the kubelet restarts (the kubelet then removes every plugin socket)
// and removes its socket on SIGINT/SIGTERM. It logs every registration and allocation to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/crc32"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	pluginapi "k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1"
)

const (
	socketName = "ds-fake-gpu.sock"
	// Where the NVIDIA container toolkit puts nvidia-smi in a container.
	nvidiaSmiContainerPath = "/usr/bin/nvidia-smi"
	visibleDevicesEnv      = "NVIDIA_VISIBLE_DEVICES"
)

func main() {
	if filepath.Base(os.Args[0]) == "nvidia-smi" {
		os.Exit(nvidiaSmi(os.Args[1:], os.Getenv(visibleDevicesEnv), os.Stdout, os.Stderr))
	}
	dir := flag.String("device-plugin-dir", pluginapi.DevicePluginPath, "the kubelet's device-plugins directory (holds kubelet.sock)")
	resource := flag.String("resource", "nvidia.com/gpu", "extended resource name to advertise")
	count := flag.Int("count", 1, "number of devices to advertise")
	node := flag.String("node", "", "node name, part of the device IDs so that every node's devices differ (default: the host name)")
	smi := flag.String("nvidia-smi", "", "host path of this binary named nvidia-smi, mounted read-only at "+nvidiaSmiContainerPath+" in every container given devices (default: no mount)")
	flag.Parse()
	if *count < 1 {
		log.Fatalf("-count must be at least 1 (got %d)", *count)
	}
	if *node == "" {
		h, err := os.Hostname()
		if err != nil {
			log.Fatalf("no -node and no host name: %v", err)
		}
		*node = h
	}
	if *smi != "" {
		if filepath.Base(*smi) != "nvidia-smi" {
			log.Fatalf("-nvidia-smi %s: the file must be named nvidia-smi (it acts as nvidia-smi by its name)", *smi)
		}
		if _, err := os.Stat(*smi); err != nil {
			log.Fatalf("-nvidia-smi: %v", err)
		}
	}
	p := &plugin{
		dir:      *dir,
		resource: *resource,
		devices:  deviceIDs(*node, *count),
		smi:      *smi,
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.Printf("fake-gpu: %d device(s) of %s for node %s: %s", *count, *resource, *node, strings.Join(p.devices, ", "))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := p.run(ctx); err != nil {
		log.Fatalf("fake-gpu: %v", err)
	}
	log.Printf("fake-gpu: stopped")
}

// deviceIDs are shaped like NVIDIA GPU UUIDs, fixed for a node name and index.
func deviceIDs(node string, n int) []string {
	sum := crc32.ChecksumIEEE([]byte(node))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("GPU-fa4e%04x-%04x-4000-8000-%012x", sum>>16, sum&0xffff, i)
	}
	return ids
}

type plugin struct {
	pluginapi.UnimplementedDevicePluginServer
	dir      string
	resource string
	devices  []string
	smi      string
}

func (p *plugin) socket() string        { return filepath.Join(p.dir, socketName) }
func (p *plugin) kubeletSocket() string { return filepath.Join(p.dir, "kubelet.sock") }

// run serves and registers, then re-serves and re-registers whenever the kubelet restarts (it
// deletes our socket, and recreates its own), until ctx ends.
func (p *plugin) run(ctx context.Context) error {
	for {
		srv, err := p.serve()
		if err != nil {
			return err
		}
		if err := p.register(ctx); err != nil {
			srv.Stop()
			_ = os.Remove(p.socket())
			log.Printf("fake-gpu: registration failed, retrying in 2 s: %v", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(2 * time.Second):
				continue
			}
		}
		kubelet, _ := os.Stat(p.kubeletSocket())
		restarted := p.watch(ctx, kubelet)
		srv.Stop()
		_ = os.Remove(p.socket())
		if !restarted {
			return nil
		}
		log.Printf("fake-gpu: the kubelet restarted (sockets changed): registering again")
	}
}

// watch returns true when the kubelet restarted, false when ctx ended.
func (p *plugin) watch(ctx context.Context, kubelet os.FileInfo) bool {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
			if _, err := os.Stat(p.socket()); err != nil {
				return true
			}
			now, err := os.Stat(p.kubeletSocket())
			if err == nil && kubelet != nil && !os.SameFile(now, kubelet) {
				return true
			}
		}
	}
}

func (p *plugin) serve() (*grpc.Server, error) {
	if err := os.Remove(p.socket()); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	l, err := net.Listen("unix", p.socket())
	if err != nil {
		return nil, err
	}
	srv := grpc.NewServer()
	pluginapi.RegisterDevicePluginServer(srv, p)
	go func() {
		if err := srv.Serve(l); err != nil {
			log.Printf("fake-gpu: server stopped: %v", err)
		}
	}()
	// The kubelet dials back as soon as it accepts the registration: be reachable first.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := dial(ctx, p.socket())
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("own socket %s: %w", p.socket(), err)
	}
	_ = conn.Close()
	return srv, nil
}

func dial(ctx context.Context, path string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	conn.Connect()
	for {
		s := conn.GetState()
		if s.String() == "READY" {
			return conn, nil
		}
		if !conn.WaitForStateChange(ctx, s) {
			_ = conn.Close()
			return nil, fmt.Errorf("not ready within the deadline (state %s)", s)
		}
	}
}

func (p *plugin) register(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := dial(ctx, p.kubeletSocket())
	if err != nil {
		return fmt.Errorf("kubelet socket %s: %w", p.kubeletSocket(), err)
	}
	defer conn.Close()
	_, err = pluginapi.NewRegistrationClient(conn).Register(ctx, &pluginapi.RegisterRequest{
		Version:      pluginapi.Version,
		Endpoint:     socketName,
		ResourceName: p.resource,
		Options:      &pluginapi.DevicePluginOptions{},
	})
	if err == nil {
		log.Printf("fake-gpu: registered %s with the kubelet at %s", p.resource, p.kubeletSocket())
	}
	return err
}

func (p *plugin) GetDevicePluginOptions(context.Context, *pluginapi.Empty) (*pluginapi.DevicePluginOptions, error) {
	return &pluginapi.DevicePluginOptions{}, nil
}

// ListAndWatch sends the (always healthy) devices once, then holds the stream open.
func (p *plugin) ListAndWatch(_ *pluginapi.Empty, s grpc.ServerStreamingServer[pluginapi.ListAndWatchResponse]) error {
	devs := make([]*pluginapi.Device, len(p.devices))
	for i, id := range p.devices {
		devs[i] = &pluginapi.Device{ID: id, Health: pluginapi.Healthy}
	}
	if err := s.Send(&pluginapi.ListAndWatchResponse{Devices: devs}); err != nil {
		return err
	}
	<-s.Context().Done()
	return nil
}

var allocations sync.Mutex

func (p *plugin) Allocate(_ context.Context, req *pluginapi.AllocateRequest) (*pluginapi.AllocateResponse, error) {
	allocations.Lock()
	defer allocations.Unlock()
	known := map[string]bool{}
	for _, id := range p.devices {
		known[id] = true
	}
	resp := &pluginapi.AllocateResponse{}
	for _, c := range req.ContainerRequests {
		for _, id := range c.DevicesIds {
			if !known[id] {
				return nil, fmt.Errorf("unknown device %q", id)
			}
		}
		r := &pluginapi.ContainerAllocateResponse{Envs: map[string]string{visibleDevicesEnv: strings.Join(c.DevicesIds, ",")}}
		if p.smi != "" {
			r.Mounts = []*pluginapi.Mount{{ContainerPath: nvidiaSmiContainerPath, HostPath: p.smi, ReadOnly: true}}
		}
		log.Printf("fake-gpu: allocate %s", r.Envs[visibleDevicesEnv])
		resp.ContainerResponses = append(resp.ContainerResponses, r)
	}
	return resp, nil
}

func (p *plugin) GetPreferredAllocation(context.Context, *pluginapi.PreferredAllocationRequest) (*pluginapi.PreferredAllocationResponse, error) {
	return &pluginapi.PreferredAllocationResponse{}, nil
}

func (p *plugin) PreStartContainer(context.Context, *pluginapi.PreStartContainerRequest) (*pluginapi.PreStartContainerResponse, error) {
	return &pluginapi.PreStartContainerResponse{}, nil
}
