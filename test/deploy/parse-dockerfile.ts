/** A Dockerfile as stages of instructions: comments dropped, `\` continuations joined, keywords checked. */
export interface DockerStage {
  from: string;
  instructions: Array<{ op: string; args: string }>;
}

const KNOWN = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

export function parseDockerfile(text: string): DockerStage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile: expected 'INSTRUCTION arguments', got '${line}'`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!;
    if (op === 'FROM') stages.push({ from: args, instructions: [] });
    else if (!KNOWN.has(op)) throw new Error(`Dockerfile: unknown instruction '${m[1]}'`);
    else if (stages.length === 0) throw new Error(`Dockerfile: '${op}' before the first FROM`);
    else stages.at(-1)!.instructions.push({ op, args });
  }
  return stages;
}
