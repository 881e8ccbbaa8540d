/** The generated codec is committed; it must be exactly what spec/codegen.mjs produces from the spec. */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const generated = join(root, 'src', 'protocol', 'generated', 'amqp.ts');

describe('spec/codegen.mjs', () => {
  it('--check passes on the committed file', () => {
    const out = execFileSync(process.execPath, [join(root, 'spec', 'codegen.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });

  it('--check fails with a clear message when the file is stale, and generation is deterministic', () => {
    // Work on a copy of the layout so the real tree is never touched.
    const dir = mkdtempSync(join(tmpdir(), 'leveret-codegen-'));
    mkdirSync(join(dir, 'spec'));
    mkdirSync(join(dir, 'src', 'protocol', 'generated'), { recursive: true });
    copyFileSync(join(root, 'spec', 'codegen.mjs'), join(dir, 'spec', 'codegen.mjs'));
    cpSync(join(root, 'spec', 'codegen'), join(dir, 'spec', 'codegen'), { recursive: true });
    copyFileSync(join(root, 'spec', 'amqp0-9-1.json'), join(dir, 'spec', 'amqp0-9-1.json'));
    const target = join(dir, 'src', 'protocol', 'generated', 'amqp.ts');

    const missing = spawnSync(process.execPath, [join(dir, 'spec', 'codegen.mjs'), '--check'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/missing/);

    execFileSync(process.execPath, [join(dir, 'spec', 'codegen.mjs')]);
    expect(readFileSync(target, 'utf8')).toBe(readFileSync(generated, 'utf8'));

    writeFileSync(target, readFileSync(target, 'utf8').replace('FRAME_END = 206', 'FRAME_END = 207'));
    const stale = spawnSync(process.execPath, [join(dir, 'spec', 'codegen.mjs'), '--check'], { encoding: 'utf8' });
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/stale/);
    expect(stale.stderr).toMatch(/gen:protocol/);
  });

  it('the generated file carries the do-not-edit banner', () => {
    expect(readFileSync(generated, 'utf8').split('\n')[0]).toBe(
      '// Generated from spec/amqp0-9-1.json by spec/codegen.mjs. DO NOT EDIT.',
    );
  });
});
