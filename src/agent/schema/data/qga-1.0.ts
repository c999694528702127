/**
 * The qga 1.0 (qapi-schema-guest.json) schema, transcribed from the seed 002_92cf46a87220d885.txt
 * by a one-off converter (comments dropped, '*name' turned into optional: true,
 * 'success-response': 'no' | false turned into successResponse: false).
 * The source lacks a comma after 'command' once; read as if it were there.
 */
import type { QapiSchemaSource } from '../qapi.js';

/** The qga 1.0 schema: 13 commands. */
export const QGA_SCHEMA_1_0: QapiSchemaSource = {
  era: '1.0',
  origin: 'seed 002_92cf46a87220d885.txt',
  exprs: [
    {
      meta: 'command',
      name: 'guest-sync',
      args: [{ name: 'id', type: 'int' }],
      returns: 'int',
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-ping',
      args: [],
      successResponse: true,
    },
    {
      meta: 'struct',
      name: 'GuestAgentCommandInfo',
      keyword: 'type',
      members: [{ name: 'name', type: 'str' }, { name: 'enabled', type: 'bool' }],
    },
    {
      meta: 'struct',
      name: 'GuestAgentInfo',
      keyword: 'type',
      members: [
        { name: 'version', type: 'str' },
        { name: 'supported_commands', type: ['GuestAgentCommandInfo'] },
      ],
    },
    {
      meta: 'command',
      name: 'guest-info',
      args: [],
      returns: 'GuestAgentInfo',
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-shutdown',
      args: [{ name: 'mode', type: 'str', optional: true }],
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-file-open',
      args: [{ name: 'path', type: 'str' }, { name: 'mode', type: 'str', optional: true }],
      returns: 'int',
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-file-close',
      args: [{ name: 'handle', type: 'int' }],
      successResponse: true,
    },
    {
      meta: 'struct',
      name: 'GuestFileRead',
      keyword: 'type',
      members: [
        { name: 'count', type: 'int' },
        { name: 'buf-b64', type: 'str' },
        { name: 'eof', type: 'bool' },
      ],
    },
    {
      meta: 'command',
      name: 'guest-file-read',
      args: [{ name: 'handle', type: 'int' }, { name: 'count', type: 'int', optional: true }],
      returns: 'GuestFileRead',
      successResponse: true,
    },
    {
      meta: 'struct',
      name: 'GuestFileWrite',
      keyword: 'type',
      members: [{ name: 'count', type: 'int' }, { name: 'eof', type: 'bool' }],
    },
    {
      meta: 'command',
      name: 'guest-file-write',
      args: [
        { name: 'handle', type: 'int' },
        { name: 'buf-b64', type: 'str' },
        { name: 'count', type: 'int', optional: true },
      ],
      returns: 'GuestFileWrite',
      successResponse: true,
    },
    {
      meta: 'struct',
      name: 'GuestFileSeek',
      keyword: 'type',
      members: [{ name: 'position', type: 'int' }, { name: 'eof', type: 'bool' }],
    },
    {
      meta: 'command',
      name: 'guest-file-seek',
      args: [
        { name: 'handle', type: 'int' },
        { name: 'offset', type: 'int' },
        { name: 'whence', type: 'int' },
      ],
      returns: 'GuestFileSeek',
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-file-flush',
      args: [{ name: 'handle', type: 'int' }],
      successResponse: true,
    },
    {
      meta: 'enum',
      name: 'GuestFsfreezeStatus',
      values: ['thawed', 'frozen', 'error'],
    },
    {
      meta: 'command',
      name: 'guest-fsfreeze-status',
      args: [],
      returns: 'GuestFsfreezeStatus',
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-fsfreeze-freeze',
      args: [],
      returns: 'int',
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-fsfreeze-thaw',
      args: [],
      returns: 'int',
      successResponse: true,
    },
  ],
};
