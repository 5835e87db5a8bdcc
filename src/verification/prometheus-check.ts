// One measurement of a prometheus check: an instant query against the named server's HTTP API
// (`GET /api/v1/query`), its result as a number (scalar) or a list of numbers (vector), and the check's conditions
// over it. Unreachable servers, HTTP errors and query errors are Error measurements carrying Prometheus' own words.
import got from 'got';
import type { PrometheusCheckConfig } from '../config/pipeline.js';
import { ConditionError, evaluateCondition, parseCondition, type ResultValue } from './condition.js';
import type { CheckMeasurement } from './measurement.js';

interface QueryAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

export async function measurePrometheus(check: PrometheusCheckConfig, serverUrl: string, during: CheckMeasurement['during'], signal?: AbortSignal): Promise<CheckMeasurement> {
  const base = { check: check.name, kind: 'prometheus' as const, during, at: new Date().toISOString() };
  let answer: QueryAnswer;
  let status: number;
  try {
    const res = await got(`${serverUrl}/api/v1/query`, {
      searchParams: { query: check.query },
      timeout: { request: 30_000 },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      signal,
    });
    status = res.statusCode;
    answer = JSON.parse(res.body) as QueryAnswer;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ...base, phase: 'Error', message: `Prometheus ${serverUrl} unreachable: ${e.code ?? ''} ${String(e.message ?? err).split('\n')[0]}`.trim() };
  }
  if (answer.status !== 'success') {
    return { ...base, phase: 'Error', message: `Prometheus answered ${status}: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no result'}` };
  }
  let result: ResultValue;
  try {
    result = resultValue(answer.data);
  } catch (err) {
    return { ...base, phase: 'Error', message: (err as Error).message };
  }
  const value = JSON.stringify(Array.isArray(result) ? result.map(show) : show(result));
  try {
    return { ...base, value, phase: phaseOf(check, result) };
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    return { ...base, value, phase: 'Error', message: `condition: ${err.message}` };
  }
}

/** Argo Rollouts' rule: with both conditions, neither holding is Inconclusive; with one, its negation decides. */
export function phaseOf(check: Pick<PrometheusCheckConfig, 'successCondition' | 'failureCondition'>, result: ResultValue): CheckMeasurement['phase'] {
  const success = check.successCondition === undefined ? undefined : evaluateCondition(parseCondition(check.successCondition), result);
  const failure = check.failureCondition === undefined ? undefined : evaluateCondition(parseCondition(check.failureCondition), result);
  if (failure === true) return 'Failed';
  if (success === true) return 'Successful';
  if (success === false && failure === undefined) return 'Failed';
  if (failure === false && success === undefined) return 'Successful';
  return 'Inconclusive';
}

function resultValue(data: QueryAnswer['data']): ResultValue {
  const sample = (v: unknown): number => {
    if (!Array.isArray(v) || typeof v[1] !== 'string') throw new Error(`unreadable sample ${JSON.stringify(v)?.slice(0, 100)}`);
    return v[1] === 'NaN' ? Number.NaN : Number(v[1]);
  };
  switch (data?.resultType) {
    case 'scalar':
      return sample(data.result);
    case 'vector':
      if (!Array.isArray(data.result)) throw new Error('vector without a result list');
      return data.result.map((s: { value?: unknown }) => sample(s?.value));
    default:
      throw new Error(`query returned a ${data?.resultType ?? 'missing'} result; use an instant query that returns a scalar or a vector`);
  }
}

function show(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}
