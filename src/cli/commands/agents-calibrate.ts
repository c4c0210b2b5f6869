import { join } from 'node:path';
import type { AgentsCalibration } from '../../app/agents/calibrate-agents.js';
import type { AgentsPorts, AutoCalibration } from '../../app/agents/run-agents.js';
import { calibrateContainer } from '../../app/calibrate/calibrate-container.js';
import {
  type CalibrateFlags,
  type CalibrationSettings,
  calibrationSettingsFrom,
  readContextsSettings,
} from '../../app/calibrate/calibrate-options.js';
import { createCalibrationPorts } from '../../app/calibrate/calibrate-ports.js';
import { tokenRateOf } from '../../app/shared/calibrated-rate.js';
import { updateConfigFile } from '../../config/update-config-file.js';
import { newRunId } from '../../core/ids.js';
import { homePaths } from '../../core/kitt-home.js';
import { OptionIssues } from '../../core/option-issues.js';

/** `kitt calibrate`'s own defaults: `--rate auto` calibrates exactly as the command does without flags. */
export const CALIBRATE_DEFAULT_FLAGS: CalibrateFlags = {
  targetCpu: '80-90',
  objective: 'cpu',
  window: '10s',
  maxWindows: '10',
  soak: '30s',
  startRate: '0.5',
  maxRate: '500',
};

/**
 * The `--rate auto` port of `kitt agents`: the calibration use case of `kitt calibrate` (its own run
 * id and result folder, the rate and the contexts written to config and the store), then its rate
 * in tokens/s and the contexts it verified.
 */
export function autoCalibration(options: {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly configPath?: string;
  /** Other windows than kitt calibrate's defaults (tests: short ones). */
  readonly settings?: CalibrationSettings;
}): NonNullable<AgentsPorts['calibrate']> {
  return async (engine, { progress, signal }): Promise<AutoCalibration> => {
    const runId = newRunId();
    const resultDir = join(homePaths(options.home).results, runId);
    const settings = options.settings ?? calibrationSettingsFrom(CALIBRATE_DEFAULT_FLAGS);
    const contexts = readContextsSettings({}, new OptionIssues());
    const ports = await createCalibrationPorts({
      home: options.home,
      env: options.env,
      progress,
      ...(options.configPath ? { configPath: options.configPath } : {}),
    });
    try {
      const result = await calibrateContainer(
        {
          engine: { ...engine, runId },
          modelLabel: engine.modelPath,
          policy: settings.policy,
          windowMs: settings.windowMs,
          soakMs: settings.soakMs,
          resultDir,
          ...(contexts ? { contexts } : {}),
        },
        ports,
        { signal, progress },
      );
      const rate = tokenRateOf({ value: result.rate!, unit: 'requests/s' });
      const measured = result.contexts?.status === 'measured' ? result.contexts : undefined;
      return {
        runId,
        resultDir,
        tokensPerS: rate.tokensPerS,
        note: `calibrated ${result.rateKey} at ${result.rate!.toFixed(3)} requests/s (run ${runId}): ${rate.conversion ?? ''}`,
        ...(measured
          ? {
              maxContexts: {
                value: measured.maxContexts,
                contextTokens: measured.contextTokens,
                calibratedAt: measured.calibratedAt,
              },
            }
          : {}),
      };
    } finally {
      await ports.close();
    }
  };
}

/** Writes compute.rates["<engine>/<limits>:agents"] = { value, unit: tokens/s, calibratedAt }, comments kept. */
export function agentsRateSaver(configPath: string): NonNullable<AgentsPorts['saveAgentsRate']> {
  return (calibration: AgentsCalibration) =>
    updateConfigFile(configPath, ['compute', 'rates', calibration.key], {
      value: Number(calibration.tokensPerS.toPrecision(4)),
      unit: 'tokens/s',
      calibratedAt: new Date().toISOString(),
    });
}
