#!/usr/bin/env node
/** `pgrelay-pcp <command> [options]`: every pcp_* command behind one name (node_info or pcp_node_info). */
import { Command } from 'commander';
import { APP_NAMES } from '../cli/main';
import { main } from '../cli/run';

const program = new Command('pgrelay-pcp')
  .description("pgpool-II's pcp_* commands, speaking PCP to pgrelay or pgpool-II")
  .usage('<command> [options]')
  .argument('<command>', `one of: ${APP_NAMES.map((n) => n.slice(4)).join(', ')}`)
  .allowUnknownOption()
  .allowExcessArguments()
  .passThroughOptions()
  .helpOption('--pgrelay-help', 'this help; `pgrelay-pcp <command> --help` for a command')
  .action((command: string) => {
    const name = command.startsWith('pcp_') ? command : `pcp_${command}`;
    const args = program.args.slice(1);
    main(name, args);
  });

if (process.argv.length <= 2) {
  program.outputHelp();
  process.exit(1);
}
program.parse();
