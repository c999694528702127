import { describe, expect, it } from 'vitest';
import { qgaProfile } from '../../src/agent/schema/index.js';
import { agent, desc } from './helpers.js';

interface Info {
  version: string;
  supported_commands: { name: string; enabled: boolean; 'success-response'?: boolean }[];
}

function info(ask: (s: string) => string): Info {
  return (JSON.parse(ask('{"execute":"guest-info"}')) as { return: Info }).return;
}

describe('guest-info', () => {
  it('2.5: 31 commands in reverse alphabetical order', () => {
    const { ask } = agent({ profile: '2.5' });
    const i = info(ask);
    expect(i.version).toBe('2.5.0');
    const names = i.supported_commands.map((c) => c.name);
    expect(names).toHaveLength(31);
    expect(names.slice(0, 3)).toEqual(['guest-sync-delimited', 'guest-sync', 'guest-suspend-ram']);
    expect(names.slice(-2)).toEqual(['guest-exec-status', 'guest-exec']);
    expect(names).toEqual([...names].sort().reverse());
  });

  it('7.2: reverse schema order, QEMU key order, success-response flags', () => {
    const { ask } = agent();
    const raw = ask('{"execute":"guest-info"}');
    expect(raw.startsWith('{"return": {"version": "7.2.13", "supported_commands": [{"enabled": true, "name": "guest-exec", "success-response": true}, {"enabled": true, "name": "guest-exec-status"')).toBe(true);
    const i = info(ask);
    const names = i.supported_commands.map((c) => c.name);
    expect(names).toEqual([...qgaProfile('7.2').schema.commandNames].reverse());
    expect(names.at(-1)).toBe('guest-sync-delimited');
    expect(i.supported_commands.filter((c) => c['success-response'] === false).map((c) => c.name).sort()).toEqual([
      'guest-shutdown',
      'guest-suspend-disk',
      'guest-suspend-hybrid',
      'guest-suspend-ram',
    ]);
  });

  it('1.0: 13 commands, no success-response member (not in its schema)', () => {
    const { ask } = agent({ profile: '1.0', version: '1.0.1' });
    const raw = ask('{"execute":"guest-info"}');
    expect(raw).toContain('{"enabled": true, "name": "guest-fsfreeze-thaw"}');
    const i = info(ask);
    expect(i.version).toBe('1.0.1');
    expect(i.supported_commands.map((c) => c.name)).toEqual([...qgaProfile('1.0').schema.commandNames].reverse());
    expect(i.supported_commands).toHaveLength(13);
  });

  it('lists blocked commands as disabled', () => {
    const { ask } = agent({ blockRpcs: ['guest-ping', 'guest-get-time', 'no-such-command'] });
    const off = info(ask).supported_commands.filter((c) => !c.enabled).map((c) => c.name);
    expect(off).toEqual(['guest-get-time', 'guest-ping']);
  });
});

describe('disabled commands', () => {
  it('7.2: CommandNotFound "Command X has been disabled" (as observed on Debian 7.2)', () => {
    const { ask } = agent({ blockRpcs: ['guest-shutdown', 'guest-ping'] });
    expect(ask('{"execute":"guest-shutdown"}')).toBe(
      '{"error": {"class": "CommandNotFound", "desc": "Command guest-shutdown has been disabled"}}\n',
    );
    expect(ask('{"execute":"guest-ping","id":3}')).toBe(
      '{"id": 3, "error": {"class": "CommandNotFound", "desc": "Command guest-ping has been disabled"}}\n',
    );
    // Disabled is checked before the arguments are looked at.
    expect(desc(ask('{"execute":"guest-ping","arguments":{"x":1}}'))).toBe('Command guest-ping has been disabled');
  });

  it('2.5: GenericError "The command X has been disabled for this instance"', () => {
    const { ask } = agent({ profile: '2.5', blockRpcs: ['guest-ping'] });
    expect(ask('{"execute":"guest-ping"}')).toBe(
      '{"error": {"class": "GenericError", "desc": "The command guest-ping has been disabled for this instance"}}\n',
    );
  });
});

describe('frozen state', () => {
  it('allows only the freeze allow-list, with the 7.2 reason', () => {
    const { proto, ask } = agent({
      handlers: {
        'guest-fsfreeze-freeze': (_a, ctx) => (ctx.agent.freeze(), 2),
        'guest-fsfreeze-thaw': (_a, ctx) => (ctx.agent.thaw(), 2),
        'guest-fsfreeze-status': (_a, ctx) => (ctx.agent.frozen ? 'frozen' : 'thawed'),
        'guest-get-time': () => 1,
      },
    });
    expect(ask('{"execute":"guest-fsfreeze-freeze"}')).toBe('{"return": 2}\n');
    expect(proto.frozen).toBe(true);
    expect(ask('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}\n');
    expect(ask('{"execute":"guest-get-time"}')).toBe(
      '{"error": {"class": "CommandNotFound", "desc": "Command guest-get-time has been disabled: the agent is in frozen state"}}\n',
    );
    expect(desc(ask('{"execute":"guest-fsfreeze-freeze"}'))).toBe(
      'Command guest-fsfreeze-freeze has been disabled: the agent is in frozen state',
    );
    for (const c of ['guest-ping', 'guest-sync', 'guest-info']) expect(ask(`{"execute":"${c}","arguments":${c === 'guest-sync' ? '{"id":1}' : '{}'}}`)).not.toContain('error');
    const enabled = (JSON.parse(ask('{"execute":"guest-info"}')) as { return: Info }).return.supported_commands
      .filter((c) => c.enabled)
      .map((c) => c.name)
      .sort();
    expect(enabled).toEqual(['guest-fsfreeze-status', 'guest-fsfreeze-thaw', 'guest-info', 'guest-ping', 'guest-sync', 'guest-sync-delimited']);
    expect(ask('{"execute":"guest-fsfreeze-thaw"}')).toBe('{"return": 2}\n');
    expect(ask('{"execute":"guest-get-time"}')).toBe('{"return": 1}\n');
  });

  it('keeps blocked commands blocked, with QEMU\'s leftover frozen reason after a thaw', () => {
    const { proto, ask } = agent({ blockRpcs: ['guest-get-time', 'guest-ping'], frozen: true });
    expect(desc(ask('{"execute":"guest-get-time"}'))).toBe('Command guest-get-time has been disabled: the agent is in frozen state');
    expect(desc(ask('{"execute":"guest-ping"}'))).toBe('Command guest-ping has been disabled');
    proto.thaw();
    expect(desc(ask('{"execute":"guest-get-time"}'))).toBe('Command guest-get-time has been disabled: the agent is in frozen state');
    expect(desc(ask('{"execute":"guest-file-open","arguments":{"path":"/x"}}'))).toBe(
      'this feature or command is not currently supported',
    );
  });

  it('2.5 says the same as for blocked commands', () => {
    const { ask } = agent({ profile: '2.5', frozen: true });
    expect(desc(ask('{"execute":"guest-get-time"}'))).toBe('The command guest-get-time has been disabled for this instance');
  });
});
