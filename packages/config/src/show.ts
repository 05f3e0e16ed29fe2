import type { ParamSpec } from './param-types';
import { formatWithUnit } from './values';

/**
 * A value as PGPOOL SHOW prints it: booleans on/off, enums in their canonical spelling,
 * positive unit values in the largest exact unit (300 s -> 5min, 409600 bytes -> 400kB),
 * lists joined by their separator, secrets as *****.
 */
export function formatParamValue(spec: ParamSpec, value: unknown): string {
  if (spec.sensitive) return '*****';
  if (value === undefined || value === null) return '';
  switch (spec.type) {
    case 'bool':
      return value ? 'on' : 'off';
    case 'int':
      if (spec.unit && spec.showUnits !== false && typeof value === 'number') return formatWithUnit(value, spec.unit);
      return String(value);
    case 'list':
      return Array.isArray(value) ? value.join(spec.separator ?? ',') : String(value);
    default:
      return String(value);
  }
}
