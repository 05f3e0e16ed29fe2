/** getopt_long as pgpool's pcp_* commands use it, diagnostics included. */
import { atoi, getoptLong } from '../src/cli/getopt';
import { LONG_OPTIONS } from '../src/cli/apps';

const parse = (args: string[], spec = 'n:h:p:U:awWvd') => getoptLong('pcp_node_info', args, spec, LONG_OPTIONS);

test('clustered flags, attached and separate arguments, operands anywhere', () => {
  const r = parse(['-wv', '-n1', 'extra', '-p', '9898', '--host=/tmp', '--user', 'u']);
  expect(r.events).toEqual([{ opt: 'w' }, { opt: 'v' }, { opt: 'n', arg: '1' }, { opt: 'p', arg: '9898' }, { opt: 'h', arg: '/tmp' }, { opt: 'U', arg: 'u' }]);
  expect(r.operands).toEqual(['extra']);
  expect(r.errors).toEqual([]);
});

test('an option argument may look like an option', () => {
  expect(parse(['-n', '-h', '/x']).events).toEqual([{ opt: 'n', arg: '-h' }]);
  expect(parse(['-n', '-h', '/x']).operands).toEqual(['/x']);
});

test('long options by unambiguous prefix; -- ends the options', () => {
  expect(parse(['--verb', '--no-p']).events).toEqual([{ opt: 'v' }, { opt: 'w' }]);
  expect(parse(['--', '-w']).operands).toEqual(['-w']);
  // Long options work even when the command's short-option string lacks the letter.
  expect(parse(['--mode=fast'], 'h:p:U:wWvd').events).toEqual([{ opt: 'm', arg: 'fast' }]);
});

test.each([
  [['-x'], "pcp_node_info: invalid option -- 'x'"],
  [['--foo'], "pcp_node_info: unrecognized option '--foo'"],
  [['-n'], "pcp_node_info: option requires an argument -- 'n'"],
  [['--node-id'], "pcp_node_info: option '--node-id' requires an argument"],
  [['--verbose=1'], "pcp_node_info: option '--verbose' doesn't allow an argument"],
  [['--p'], "pcp_node_info: option '--p' is ambiguous; possibilities: '--port' '--process-id' '--password'"],
])('%j: %s', (args, message) => {
  const r = parse(args);
  expect(r.errors).toEqual([message]);
  expect(r.events[r.events.length - 1]).toEqual({ opt: '?' });
});

test('atoi reads leading digits like C', () => {
  expect([atoi('12'), atoi(' -3'), atoi('4x'), atoi('abc'), atoi(''), atoi('+7')]).toEqual([12, -3, 4, 0, 0, 7]);
});
