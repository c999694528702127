/**
 * The qga 1.5-2.1 (qga/qapi-schema.json) schema, transcribed from the seed 004_a8c6aa85663c0ed0.txt
 * by a one-off converter (comments dropped, '*name' turned into optional: true,
 * 'success-response': 'no' | false turned into successResponse: false).
 */
import type { QapiSchemaSource } from '../qapi.js';

/** The qga 1.5 schema: 23 commands. */
export const QGA_SCHEMA_1_5: QapiSchemaSource = {
  era: '1.5',
  origin: 'seed 004_a8c6aa85663c0ed0.txt',
  exprs: [
    {
      meta: 'command',
      name: 'guest-sync-delimited',
      args: [{ name: 'id', type: 'int' }],
      returns: 'int',
      successResponse: true,
    },
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
      meta: 'command',
      name: 'guest-get-time',
      args: [],
      returns: 'int',
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-set-time',
      args: [{ name: 'time', type: 'int' }],
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
      successResponse: false,
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
      values: ['thawed', 'frozen'],
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
    {
      meta: 'command',
      name: 'guest-fstrim',
      args: [{ name: 'minimum', type: 'int', optional: true }],
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-suspend-disk',
      args: [],
      successResponse: false,
    },
    {
      meta: 'command',
      name: 'guest-suspend-ram',
      args: [],
      successResponse: false,
    },
    {
      meta: 'command',
      name: 'guest-suspend-hybrid',
      args: [],
      successResponse: false,
    },
    {
      meta: 'enum',
      name: 'GuestIpAddressType',
      values: ['ipv4', 'ipv6'],
    },
    {
      meta: 'struct',
      name: 'GuestIpAddress',
      keyword: 'type',
      members: [
        { name: 'ip-address', type: 'str' },
        { name: 'ip-address-type', type: 'GuestIpAddressType' },
        { name: 'prefix', type: 'int' },
      ],
    },
    {
      meta: 'struct',
      name: 'GuestNetworkInterface',
      keyword: 'type',
      members: [
        { name: 'name', type: 'str' },
        { name: 'hardware-address', type: 'str', optional: true },
        { name: 'ip-addresses', type: ['GuestIpAddress'], optional: true },
      ],
    },
    {
      meta: 'command',
      name: 'guest-network-get-interfaces',
      args: [],
      returns: ['GuestNetworkInterface'],
      successResponse: true,
    },
    {
      meta: 'struct',
      name: 'GuestLogicalProcessor',
      keyword: 'type',
      members: [
        { name: 'logical-id', type: 'int' },
        { name: 'online', type: 'bool' },
        { name: 'can-offline', type: 'bool', optional: true },
      ],
    },
    {
      meta: 'command',
      name: 'guest-get-vcpus',
      args: [],
      returns: ['GuestLogicalProcessor'],
      successResponse: true,
    },
    {
      meta: 'command',
      name: 'guest-set-vcpus',
      args: [{ name: 'vcpus', type: ['GuestLogicalProcessor'] }],
      returns: 'int',
      successResponse: true,
    },
  ],
};
