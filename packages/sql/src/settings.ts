/** Process-wide lexing settings; changing one invalidates cached classifications (index.ts). */
let standardStrings = true;

export function getStandardStrings(): boolean {
  return standardStrings;
}
export function setStandardStrings(on: boolean): void {
  standardStrings = on;
}
