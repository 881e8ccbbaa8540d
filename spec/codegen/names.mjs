// Names and literals shared by the spec loader and the emitters.

export const pascal = (s) =>
  s
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
export const camel = (s) => {
  const p = pascal(s);
  return p.charAt(0).toLowerCase() + p.slice(1);
};
export const constName = (s) => s.toUpperCase().replace(/-/g, '_');
export const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const hex8 = (n) => '0x' + n.toString(16).padStart(8, '0');
