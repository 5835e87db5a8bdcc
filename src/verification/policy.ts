// What the worker's operators allow checks to do, applied when a promotion loads its pipeline, before anything is
// committed: an http check aimed at a host the worker's configuration does not list, a secret header for a host the
// secret is not bound to, or a Prometheus server the worker does not know, fails the promotion at start.
import type { AppPipeline, CheckConfig } from '../config/pipeline.js';
import { InvalidConfigError } from '../config/pipeline-file.js';
import { hostAllowed, type VerificationConfig } from '../config/worker-config/verification.js';

export function checkPolicyProblems(pipeline: AppPipeline, config: VerificationConfig | undefined): string[] {
  const problems: string[] = [];
  for (const env of pipeline.environments) {
    (env.checks ?? []).forEach((check, i) => {
      const at = `apps.${pipeline.app}.environments[${env.name}].checks[${i}] (${check.name})`;
      problems.push(...checkProblems(check, config).map((p) => `${at}: ${p}`));
    });
  }
  return problems;
}

export function checkProblems(check: CheckConfig, config: VerificationConfig | undefined): string[] {
  if (!config) return ["the worker's configuration (PROMENADE_CONFIG) has no verification section, so no check may run"];
  if (check.kind === 'prometheus') {
    const known = Object.keys(config.prometheus);
    return config.prometheus[check.server] ? [] : [`Prometheus server "${check.server}" is not in the worker's configuration (known: ${known.join(', ') || 'none'})`];
  }
  const host = new URL(check.url).host;
  const problems: string[] = [];
  if (!hostAllowed(check.url, config.allowedHosts)) problems.push(`${host} is not among the hosts the worker's configuration lets checks reach (verification.http.allowedHosts)`);
  for (const [header, name] of Object.entries(check.secretHeaders)) {
    const secret = config.secrets[name];
    if (!secret) problems.push(`header ${header} asks for secret ${name}, which the worker's configuration does not offer`);
    else if (!hostAllowed(check.url, secret.hosts)) problems.push(`header ${header} asks for secret ${name}, which is not bound to ${host}`);
  }
  return problems;
}

/** Throws InvalidConfig (terminal) naming every check the worker's configuration does not allow. */
export function assertChecksAllowed(pipeline: AppPipeline, config: VerificationConfig | undefined): void {
  const problems = checkPolicyProblems(pipeline, config);
  if (problems.length) throw new InvalidConfigError(problems.map((p) => `promenade.yaml: ${p}`));
}
