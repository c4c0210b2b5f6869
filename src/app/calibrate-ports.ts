import { KittError } from '../core/errors.js';
import type { CalibrationPorts } from './calibrate-container.js';

/**
 * Wires calibration to the real engine lifecycle (engines `startEngine`), the open-loop load core
 * (load `runLoad` paced by the token bucket), the Docker stats sampler (runtime `sampleStats`) and
 * config/store (`updateConfigFile` at compute.rates["<engine>/<limits>"], `recordCalibration`).
 *
 * TODO(calibrate): replace this body with the wiring once src/runtime, src/load's runner and
 * src/config + src/store export those functions; until then `kitt calibrate` says so and exits 4.
 */
export async function createCalibrationPorts(_options: {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
}): Promise<CalibrationPorts> {
  throw new KittError(
    'RUNTIME_UNREACHABLE',
    'calibration needs the Docker runtime and the load runner, which this build does not include yet',
    {
      hint: 'update kitt; the controller itself is available as planNextWindow in src/calibrate',
    },
  );
}
