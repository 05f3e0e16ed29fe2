// Buffer.from(s, 'base64') silently skips characters it does not understand, so "p=!!!" would
// decode to an empty proof instead of being rejected. SCRAM attributes must be exact base64.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64Strict(s: string): Buffer | null {
  return STRICT_BASE64.test(s) ? Buffer.from(s, 'base64') : null;
}
