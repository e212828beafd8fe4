#!/usr/bin/env bash
# The document pipeline's view of Clary Desktop, end to end:
# create an API key, select the installed model for the llm task, start the local
# API, ask which model to use (its files and parameters), report a run, and print
# the model's metrics (the window's detail pane shows the same figures).
#
#   scripts/api_demo.sh [MODEL_ID]     (the model must be installed)
#
# Uses CLARY_DATA_DIR / CLARY_LICENSE_FILE like every clary-models command, and
# CLARY_API_PORT (default 8765).
set -euo pipefail
MODEL=${1:-qwen2.5-1.5b-instruct}
PORT=${CLARY_API_PORT:-8765}
API="http://127.0.0.1:$PORT/api/v1"

KEY=$(clary-models apikey create "demo-$(date +%s)-$$")
clary-models use llm "$MODEL"

clary-models serve --port "$PORT" &
SERVER=$!
trap 'kill $SERVER; wait $SERVER' EXIT
for _ in $(seq 100); do
  curl -fs -o /dev/null -H "X-API-Key: $KEY" "$API/models" && break
  sleep 0.1
done

echo "== GET $API/usage/llm"
curl -fsS -H "X-API-Key: $KEY" "$API/usage/llm"
echo
echo "== POST $API/models/$MODEL/metrics"
curl -fsS -X POST -H "X-API-Key: $KEY" -H "Content-Type: application/json" \
  -d '{"latency_ms": 850.0, "throughput": 42.5, "success": true}' "$API/models/$MODEL/metrics"
echo
echo "== clary-models metrics $MODEL"
clary-models metrics "$MODEL"
