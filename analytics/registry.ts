/**
 * The one place analytics operators are registered. The runtime runs every operator listed
 * here; each issue that adds an operator (energy, anomaly, maintenance) adds it to this list.
 */
import type { PlantIndex } from '../config/plant-index.js';
import { alertsOperator } from '../alerts/operator.js';
import { anomalyOperator } from './anomaly/operator.js';
import { energyOperator } from './energy/operator.js';
import { maintenanceOperator } from './maintenance/operator.js';
import type { Operator } from './operator.js';

export function createOperators(index: PlantIndex): Operator<unknown>[] {
  return [
    energyOperator(index) as Operator<unknown>,
    anomalyOperator(index) as Operator<unknown>,
    maintenanceOperator(index) as Operator<unknown>,
    // Alerts last: rules read the derived rows the operators above write.
    alertsOperator(index) as Operator<unknown>,
  ];
}
