package main

import (
	"fmt"
	"io"
	"strings"
)

// The name the devices report, so that nobody mistakes them for hardware.
const deviceName = "ds-platform fake GPU (no hardware)"

// nvidiaSmi answers the nvidia-smi calls a GPU discovery script makes, for the devices named in
// NVIDIA_VISIBLE_DEVICES (the container's, numbered from 0):
//
//	nvidia-smi --query-gpu=index[,uuid,name] --format=csv[,noheader][,nounits]
//	nvidia-smi -L
//	nvidia-smi                      (a one-line-per-device summary)
//
// With no devices it prints "No devices were found" and exits 6, as nvidia-smi does.
func nvidiaSmi(args []string, visible string, stdout, stderr io.Writer) int {
	var ids []string
	for _, id := range strings.Split(visible, ",") {
		if id = strings.TrimSpace(id); id != "" && id != "void" && id != "none" {
			ids = append(ids, id)
		}
	}
	var query, format string
	list := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func(name string) (string, bool) {
			if strings.HasPrefix(a, name+"=") {
				return strings.TrimPrefix(a, name+"="), true
			}
			if a == name && i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		if v, ok := value("--query-gpu"); ok {
			query = v
		} else if v, ok := value("--format"); ok {
			format = v
		} else if a == "-L" || a == "--list-gpus" {
			list = true
		} else {
			fmt.Fprintf(stderr, "nvidia-smi (ds-platform fake): unsupported argument %q\n", a)
			return 2
		}
	}
	if len(ids) == 0 {
		fmt.Fprintln(stdout, "No devices were found")
		return 6
	}
	switch {
	case list:
		for i, id := range ids {
			fmt.Fprintf(stdout, "GPU %d: %s (UUID: %s)\n", i, deviceName, id)
		}
	case query != "":
		fields := strings.Split(query, ",")
		header := true
		for _, f := range strings.Split(format, ",") {
			switch strings.TrimSpace(f) {
			case "csv", "nounits", "":
			case "noheader":
				header = false
			default:
				fmt.Fprintf(stderr, "nvidia-smi (ds-platform fake): unsupported format %q\n", f)
				return 2
			}
		}
		if header {
			fmt.Fprintln(stdout, strings.Join(fields, ", "))
		}
		for i, id := range ids {
			row := make([]string, len(fields))
			for j, f := range fields {
				switch strings.TrimSpace(f) {
				case "index":
					row[j] = fmt.Sprint(i)
				case "uuid", "gpu_uuid":
					row[j] = id
				case "name", "gpu_name":
					row[j] = deviceName
				default:
					fmt.Fprintf(stderr, "Field \"%s\" is not a valid field to query.\n", f)
					return 2
				}
			}
			fmt.Fprintln(stdout, strings.Join(row, ", "))
		}
	default:
		for i, id := range ids {
			fmt.Fprintf(stdout, "GPU %d  %s  %s\n", i, id, deviceName)
		}
	}
	return 0
}
