#!/bin/bash
# Runs once, after the InfluxDB image's first-start setup (DOCKER_INFLUXDB_INIT_MODE=setup),
# with the influx CLI configured for the admin token. Maps the InfluxQL database/retention
# policy plantpulse/autogen onto the bucket, so Grafana's InfluxQL queries find the data even
# when PlantPulse runs with a write-only token (its own start-up check would otherwise create
# the mapping; sinks/influx/schema-check.ts).
set -euo pipefail
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | cut -f1)
if influx v1 dbrp list --db plantpulse --hide-headers | grep -q .; then
  echo "DBRP plantpulse/autogen exists"
else
  influx v1 dbrp create --bucket-id "${bucket_id}" --db plantpulse --rp autogen --default
fi
