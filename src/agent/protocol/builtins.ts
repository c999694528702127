/**
 * The commands that need no operating system (qga/commands.c): guest-sync echoes its id,
 * guest-sync-delimited does too and asks for the 0xFF sentinel, guest-ping does nothing,
 * guest-info lists the commands. guest-info prepends each command it visits, so its list
 * is the registration order reversed.
 */
import type { QgaHandlers } from './handler.js';

/** The built-in handlers, for any profile. */
export function builtinHandlers(version: () => string): QgaHandlers<never> {
  return {
    'guest-sync-delimited': (args, ctx) => {
      ctx.setResponseDelimited();
      return args.id;
    },
    'guest-sync': (args) => args.id,
    'guest-ping': () => undefined,
    'guest-info': (_args, ctx) => ({ version: version(), supported_commands: ctx.commandInfo().reverse() }),
  };
}
