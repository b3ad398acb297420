// Reads a JSON array of {id, simulation} on stdin and writes a JSON array of {id, decision, policyErrors,
// ignoredContextKeys} on stdout. Every simulation is first validated by runSimulation (policy grammar, action
// names, resource types of the request's ARN); the decision then comes from runUnsafeSimulation with the request
// context exactly as given, because runSimulation drops context keys whose name holds a colon-separated
// variable (kms:EncryptionContext:aws:s3:arn), which KMS key policies and identity policies condition on.
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const jobs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = [];
for (const { id, simulation } of jobs) {
  const checked = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (checked.resultType === 'error') {
    out.push({ id, decision: 'Error', policyErrors: checked.errors, ignoredContextKeys: [] });
    continue;
  }
  const ignored = checked.resultType === 'single' ? checked.result.ignoredContextKeys ?? [] : [];
  // runUnsafeSimulation loads the resource policy without a name, and its analysis reads the name: hand it the
  // document already bundled with one (the ValidatedPolicy shape @cloud-copilot/iam-policy's loadPolicy accepts).
  const named = simulation.resourcePolicy
    ? { ...simulation, resourcePolicy: { __validated: true, policyDocument: simulation.resourcePolicy, metadata: { name: 'resource-policy' }, errors: [] } }
    : simulation;
  const decision = runUnsafeSimulation(named, { simulationMode: 'Strict' });
  out.push({ id, decision, validatedDecision: checked.overallResult, ignoredContextKeys: ignored });
}
process.stdout.write(JSON.stringify(out));
