/**
 * The one Grafana datasource the dashboards query: InfluxDB through InfluxQL. With InfluxDB
 * 2.x the InfluxQL database is a DBRP mapping onto the bucket (created by PlantPulse's sink
 * at start, sinks/influx/schema-check.ts) and the token goes in an `Authorization: Token …`
 * header; with 1.8 or 3.x the same settings name the database directly.
 */
export const INFLUX_DATASOURCE = { type: 'influxdb', uid: 'plantpulse-influxdb' } as const;

/** Grafana provisioning for that datasource; `$VAR` are read from Grafana's environment. */
export function datasourceProvisioning() {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'PlantPulse InfluxDB',
        uid: INFLUX_DATASOURCE.uid,
        type: INFLUX_DATASOURCE.type,
        access: 'proxy',
        url: '$PLANTPULSE_INFLUX_URL',
        isDefault: true,
        editable: false,
        jsonData: {
          version: 'InfluxQL',
          dbName: '$PLANTPULSE_INFLUX_DATABASE',
          httpMode: 'POST',
          httpHeaderName1: 'Authorization',
          timeInterval: '10s',
        },
        secureJsonData: { httpHeaderValue1: 'Token $PLANTPULSE_INFLUX_READ_TOKEN' },
      },
    ],
  };
}

/** Grafana provisioning for the dashboard files (read-only in the UI: they are code). */
export function dashboardProvisioning(path: string) {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'plantpulse',
        folder: 'PlantPulse',
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path, foldersFromFilesStructure: false },
      },
    ],
  };
}
