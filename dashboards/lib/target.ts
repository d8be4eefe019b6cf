/**
 * An InfluxDB (InfluxQL) target for the SDK's panels: the SDK's Dataquery interface, filled
 * from a typed InfluxQuery. Raw mode (`rawQuery: true`) so Grafana sends exactly the rendered
 * text; the test runs the same text.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { INFLUX_DATASOURCE } from './datasource.js';
import { render, type InfluxQuery } from './influxql.js';

export interface InfluxTarget extends cog.Dataquery {
  refId: string;
  datasource: { type: string; uid: string };
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
}

export class InfluxTargetBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: InfluxTarget;

  constructor(query: InfluxQuery, refId = 'A') {
    this.internal = {
      refId,
      datasource: INFLUX_DATASOURCE,
      query: render(query),
      rawQuery: true,
      resultFormat: 'time_series',
      _implementsDataqueryVariant: () => {},
    };
  }

  /** Table rows instead of one frame per series (tables, joins). */
  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  /** Legend text; `$tag_machine` names a GROUP BY tag. */
  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  build(): InfluxTarget {
    return this.internal;
  }
}

export function influx(query: InfluxQuery, refId = 'A'): InfluxTargetBuilder {
  return new InfluxTargetBuilder(query, refId);
}
