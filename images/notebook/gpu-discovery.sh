#!/bin/bash
# Spark GPU resource discovery script
# (spark.executor.resource.gpu.discoveryScript / spark.driver.resource.gpu.discoveryScript).
# Prints the JSON Spark expects, e.g. {"name": "gpu", "addresses": ["0","1"]};
# with no GPU or no nvidia-smi it prints an empty address list instead of
# failing, so the same image and config work on CPU nodes.
set -uo pipefail

indices=""
if command -v nvidia-smi >/dev/null 2>&1; then
  indices=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null) || indices=""
fi

addresses=""
while IFS= read -r idx; do
  idx="${idx//[[:space:]]/}"
  # Only plain numbers are GPU indices; anything else is an error message.
  [[ "$idx" =~ ^[0-9]+$ ]] || continue
  addresses+="${addresses:+,}\"$idx\""
done <<<"$indices"

printf '{"name": "gpu", "addresses": [%s]}\n' "$addresses"
