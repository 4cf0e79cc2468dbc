import { readFile } from 'node:fs/promises';
import { Kind, parse, valueFromASTUntyped } from 'graphql';

export interface SubgraphEndpoint {
  name: string;
  /** The routing URL (the subgraph's `/graphql`), after overrides. */
  url: string;
}

export interface Supergraph {
  sdl: string;
  subgraphs: SubgraphEndpoint[];
}

/**
 * Reads a composed supergraph and lists its subgraphs from the `join__Graph` enum
 * (`@join__graph(name:, url:)`), applying per-name routing URL overrides.
 */
export async function readSupergraph(
  path: string,
  overrides: Record<string, string | undefined> = {},
): Promise<Supergraph> {
  let sdl: string;
  try {
    sdl = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`SUPERGRAPH_PATH: cannot read ${path} (run \`pnpm compose\`)`, { cause: error });
  }
  const graphs = parse(sdl).definitions.find(
    (definition) => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph',
  );
  if (graphs?.kind !== Kind.ENUM_TYPE_DEFINITION) throw new Error(`SUPERGRAPH_PATH: ${path} is not a supergraph`);
  const subgraphs = (graphs.values ?? []).map((value) => {
    const directive = value.directives?.find((candidate) => candidate.name.value === 'join__graph');
    const args = Object.fromEntries(
      (directive?.arguments ?? []).map((argument) => [argument.name.value, valueFromASTUntyped(argument.value)]),
    );
    const name = String(args.name);
    return { name, url: overrides[name] ?? String(args.url) };
  });
  return { sdl, subgraphs };
}
