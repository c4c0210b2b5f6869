import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DetectedModel, ModelCheck, ModelFormat } from './engine-definition.js';

const GGUF_MAGIC = 'GGUF';

async function readMagic(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}

/** The quantisation a Hugging Face folder declares (config.json `quantization_config.quant_method`). */
async function declaredQuantization(dir: string, files: readonly string[]): Promise<string | undefined> {
  if (files.includes('quantize_config.json')) return 'gptq';
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
      quantization_config?: { quant_method?: unknown };
    };
    const method = config.quantization_config?.quant_method;
    return typeof method === 'string' ? method.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

async function detectDirectory(dir: string): Promise<DetectedModel | { error: string; hint: string }> {
  const files = (await readdir(dir)).sort();
  if (files.includes('config.json')) {
    const quantization = await declaredQuantization(dir, files);
    if (quantization === 'exl2') return { format: 'exl2', servePath: dir, kind: 'directory' };
    if (quantization === 'gptq') return { format: 'gptq', servePath: dir, kind: 'directory' };
    if (files.some((f) => f.endsWith('.safetensors')))
      return { format: 'safetensors', servePath: dir, kind: 'directory' };
    if (files.some((f) => /^pytorch_model.*\.bin$/.test(f)))
      return { format: 'pytorch', servePath: dir, kind: 'directory' };
    return {
      error: `${dir} has a config.json but no *.safetensors or pytorch_model*.bin weights`,
      hint: 'point -m at a complete Hugging Face model folder',
    };
  }
  // a folder of GGUF files: the first one by name, skipping multimodal projectors
  const gguf = files.find((f) => f.endsWith('.gguf') && !f.startsWith('mmproj'));
  if (gguf) return { format: 'gguf', servePath: join(dir, gguf), kind: 'file' };
  return {
    error: `${dir} holds neither a GGUF file nor a Hugging Face model (config.json)`,
    hint: 'point -m at a .gguf file or a model folder with config.json',
  };
}

/**
 * Finds out what kind of model a path holds, from its contents rather than its name: GGUF by its
 * magic bytes, Hugging Face folders by config.json (its quantization_config tells EXL2 and GPTQ from
 * plain safetensors, the confusion KITT had).
 */
export async function detectModel(path: string): Promise<ModelCheck> {
  const absolute = resolve(path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(absolute);
  } catch {
    return { ok: false, message: `model ${absolute} does not exist`, hint: 'check the -m path (or MODEL_PATH)' };
  }
  if (info.isDirectory()) {
    const found = await detectDirectory(absolute);
    return 'error' in found ? { ok: false, message: found.error, hint: found.hint } : { ok: true, model: found };
  }
  if ((await readMagic(absolute)) === GGUF_MAGIC) {
    return { ok: true, model: { format: 'gguf', servePath: absolute, kind: 'file' } };
  }
  return {
    ok: false,
    message: `${absolute} is not a GGUF file (no GGUF magic) nor a model folder`,
    hint: 'pass a .gguf file, or the folder of a Hugging Face model',
  };
}

/** detectModel, then require one of the engine's formats; a mismatch names the engines that fit. */
export async function checkModelFormat(
  path: string,
  engine: string,
  formats: readonly ModelFormat[],
  enginesFor: (format: ModelFormat) => readonly string[],
): Promise<ModelCheck> {
  const check = await detectModel(path);
  if (!check.ok || formats.includes(check.model.format)) return check;
  const fitting = enginesFor(check.model.format).join(', ');
  return {
    ok: false,
    message: `${engine} cannot load ${check.model.format} models (it takes ${formats.join(', ')}); ${check.model.servePath} is ${check.model.format}`,
    hint: `use -e with one of: ${fitting}, or a ${formats.join('/')} model`,
  };
}
