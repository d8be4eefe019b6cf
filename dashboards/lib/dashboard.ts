/**
 * The frame every PlantPulse dashboard shares: uid, tags, time range, refresh, the asset
 * variables and links to the sibling dashboards.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { assetVariables } from './variables.js';

export const DASHBOARD_TAG = 'plantpulse';

export function plantDashboard(o: {
  uid: string;
  title: string;
  description: string;
  variables?: 1 | 2 | 3;
  time?: { from: string; to: string };
}) {
  return new dashboard.DashboardBuilder(o.title)
    .uid(o.uid)
    .description(o.description)
    .tags([DASHBOARD_TAG])
    .timezone('browser')
    .time(o.time ?? { from: 'now-24h', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
    .variables(assetVariables(o.variables ?? 3))
    .link(
      new dashboard.DashboardLinkBuilder('PlantPulse')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}
