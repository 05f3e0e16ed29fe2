/** glibc's strerror() text for the errors a connect can meet (libpcp prints these). */
const MESSAGES: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ECONNREFUSED: 'Connection refused',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
  EPIPE: 'Broken pipe',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENOTDIR: 'Not a directory',
  ENAMETOOLONG: 'File name too long',
  ENOTSOCK: 'Socket operation on non-socket',
  EINVAL: 'Invalid argument',
};

export function strerror(e: NodeJS.ErrnoException): string {
  if (e.code && MESSAGES[e.code]) return MESSAGES[e.code]!;
  return e.message;
}
