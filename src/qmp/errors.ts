/** QMP error classes and the QEMU error texts the monitor answers with. */

/** QMP error classes (QapiErrorClass). */
export type QmpErrorClass = 'GenericError' | 'CommandNotFound' | 'DeviceNotActive' | 'DeviceNotFound' | 'KVMMissingCap';

/** An error a command handler raises; becomes `{"error": {"class", "desc"}}`. */
export class QmpError extends Error {
  /** Error class on the wire. */
  readonly errorClass: QmpErrorClass;
  constructor(desc: string, errorClass: QmpErrorClass = 'GenericError') {
    super(desc);
    this.name = 'QmpError';
    this.errorClass = errorClass;
  }
}

/** Before qmp_capabilities. */
export const QMP_ERR_NEED_NEGOTIATION = "Expecting capabilities negotiation with 'qmp_capabilities'";
/** qmp_capabilities twice. */
export const QMP_ERR_ALREADY_NEGOTIATED = 'Capabilities negotiation is already complete, command ignored';
/** Request is not an object. */
export const QMP_ERR_NOT_OBJECT = 'QMP input must be a JSON object';
/** No execute member. */
export const QMP_ERR_NO_EXECUTE = "QMP input lacks member 'execute'";

/** Unknown command text. */
export function qmpCommandNotFound(name: string): QmpError {
  return new QmpError(`The command ${name} has not been found`, 'CommandNotFound');
}
