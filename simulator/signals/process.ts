/**
 * Process values (temperatures, pressures) under PI control, and the simpler quantities that
 * follow the machine's load (speeds, currents, flows, levels, states). A PI loop on a
 * first-order process gives the realistic shape an SPC chart sees: a lagged approach to each
 * new set point with a small overshoot, and a controller that works against load disturbances.
 */
import type { SensorInfo } from '../../config/plant-index.js';
import { declaredRange } from '../profiles.js';
import { stateAt, type MachineSignal } from './power.js';

const ACTIVE = new Set(['heat', 'hold', 'day', 'night']);

/** Set point as a fraction of the sensor's range, by machine state. */
function setpointFrac(kind: string, state: string): number {
  if (kind === 'pressure') return state === 'standby' ? 0.4 : 0.6;
  switch (state) {
    case 'heat':
    case 'hold':
      return 0.7;
    case 'sanitise':
      return 0.85;
    case 'clean':
      return 0.5;
    case 'cool':
    case 'discharge':
      return 0.35;
    case 'charge':
      return 0.3;
    case 'day':
    case 'night':
      return 0.4;
    default:
      return 0.25;
  }
}

export class ControlLoop {
  private y: number;
  private integral = 0;
  private t: number;
  private readonly lo: number;
  private readonly span: number;
  private readonly tau: number;
  private readonly ti: number;

  constructor(
    readonly sensor: SensorInfo,
    private readonly machine: MachineSignal,
    from: number,
  ) {
    [this.lo] = declaredRange(sensor);
    this.span = declaredRange(sensor)[1] - this.lo;
    const pressure = sensor.kind === 'pressure';
    this.tau = pressure ? 60_000 : 900_000;
    this.ti = pressure ? 30_000 : 300_000;
    this.t = from;
    this.y = this.setpoint(from);
    // Start at steady state: the integral term holds the output that keeps y at the set point.
    this.integral =
      (((this.y - this.ambient()) / this.span - this.disturbance(from)) * this.ti) / this.tau;
  }

  private ambient(): number {
    return this.lo + 0.2 * this.span;
  }

  private setpoint(t: number): number {
    return (
      this.lo + this.span * setpointFrac(this.sensor.kind, stateAt(this.machine.states, t).state)
    );
  }

  /** Load disturbance, as a fraction of span: demand pulls a pressure down, work heats a product. */
  private disturbance(t: number): number {
    const load = this.machine.power.at(t) / this.machine.profile.ratedW;
    return this.sensor.kind === 'pressure' ? -0.15 * load : 0.05 * load;
  }

  /** Advances the loop to t (steps of at most 5 s) and returns the noise-free value. */
  valueAt(t: number): number {
    const kp = 4;
    while (this.t < t) {
      const dt = Math.min(5_000, t - this.t);
      const sp = this.setpoint(this.t);
      const e = (sp - this.y) / this.span;
      const uRaw = kp * (e + (this.integral * (this.tau / this.ti)) / kp);
      const u = Math.max(-1, Math.min(1, uRaw));
      // Anti-windup: integrate only while the actuator is not saturated in the error's direction.
      if (u === uRaw || Math.sign(e) !== Math.sign(uRaw)) this.integral += (e * dt) / this.tau;
      const dy =
        (((this.ambient() - this.y) / this.span + u + this.disturbance(this.t)) *
          (this.span * dt)) /
        this.tau;
      this.y += dy;
      this.t += dt;
    }
    return this.y;
  }
}

/** Quantities that follow the load without a loop; returns the noise-free value in the declared unit. */
export function loadFollower(sensor: SensorInfo, machine: MachineSignal): (t: number) => number {
  const [lo, hi] = declaredRange(sensor);
  const span = hi - lo;
  const rated = machine.profile.ratedW;
  const phase = ((sensor.path.length * 7919) % 360) * (Math.PI / 180);
  const load = (t: number) => Math.min(1, machine.power.at(t) / rated);
  switch (sensor.kind) {
    case 'speed':
      return (t) => (load(t) < 0.06 ? lo : lo + span * (0.35 + 0.55 * load(t)));
    case 'current':
      return (t) => lo + span * 0.85 * load(t);
    case 'flow':
      return (t) => lo + span * (0.1 + 0.6 * load(t));
    case 'humidity':
      return (t) => lo + span * (0.4 + 0.05 * Math.sin((2 * Math.PI * t) / 86_400_000 + phase));
    case 'level':
      return (t) => lo + span * (0.5 + 0.3 * Math.sin((2 * Math.PI * t) / 21_600_000 + phase));
    case 'differential_pressure':
      return (t) => lo + span * (0.3 + 0.3 * load(t));
    case 'voltage':
      return () => lo + span * 0.5;
    case 'state':
      return (t) => {
        const s = stateAt(machine.states, t).state;
        if (s === 'clean') return Math.min(2, hi);
        return s === 'standby' || s === 'ready' ? 0 : 1;
      };
    default:
      return (t) => lo + span * (0.2 + 0.5 * load(t));
  }
}

export function usesControlLoop(sensor: SensorInfo): boolean {
  return sensor.kind === 'temperature' || sensor.kind === 'pressure';
}

export { ACTIVE };
