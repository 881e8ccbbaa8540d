/**
 * Throwaway certificates for the TLS tests, made with the `openssl` command (Debian's package) in a temp directory
 * at test time; no key is ever committed. EC P-256 keys keep generation fast (a few ms each).
 *
 * `makePki()` gives a CA, a server certificate for 127.0.0.1 / localhost, client certificates by CN, expired ones,
 * and a second CA that has nothing to do with the first. `removePki()` deletes the directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  /** Paths of the PEM certificate and key. */
  readonly cert: string;
  readonly key: string;
}

export interface Ca extends KeyPair {
  readonly name: string;
  readonly dir: string;
}

export interface IssueOptions {
  cn: string;
  /** subjectAltName, e.g. "IP:127.0.0.1,DNS:localhost" (server certificates). */
  san?: string;
  /** Extended key usage: serverAuth (default when san is given) or clientAuth. */
  usage?: 'serverAuth' | 'clientAuth';
  /** openssl ca dates, YYYYMMDDHHMMSSZ; default: now until 30 days from now. */
  startDate?: string;
  endDate?: string;
  /** File name stem; default: the CN. */
  file?: string;
}

export interface Pki {
  readonly dir: string;
  readonly ca: Ca;
  /** A CA that signed nothing the broker uses. */
  readonly otherCa: Ca;
  readonly server: KeyPair;
  /** Valid from 2020-01-01 to 2020-01-02. */
  readonly expiredServer: KeyPair;
  issue(ca: Ca, options: IssueOptions): KeyPair;
  /** A client certificate issued by `ca` (default: the main CA) with this CN. */
  client(cn: string, options?: Partial<IssueOptions> & { ca?: Ca }): KeyPair;
  read(path: string): Buffer;
}

export const EXPIRED = { startDate: '20200101000000Z', endDate: '20200102000000Z' } as const;

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function newKey(dir: string, name: string): string {
  const key = join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
  return key;
}

function newCa(root: string, name: string): Ca {
  const dir = mkdtempSync(join(root, `${name.replace(/\W+/g, '-')}-`));
  const key = newKey(dir, 'ca');
  const cert = join(dir, 'ca.pem');
  openssl(['req', '-x509', '-new', '-key', key, '-sha256', '-days', '30', '-subj', `/O=Leveret tests/CN=${name}`, '-out', cert], dir);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'serial = $dir/serial',
      'new_certs_dir = $dir',
      `certificate = ${cert}`,
      `private_key = ${key}`,
      'default_md = sha256',
      'default_days = 30',
      'policy = any_name',
      'unique_subject = no',
      'copy_extensions = none',
      '[any_name]',
      'organizationName = optional',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  return { name, dir, cert, key };
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'leveret-tls-'));
  const ca = newCa(dir, 'Leveret Test CA');
  const otherCa = newCa(dir, 'Unrelated CA');
  let n = 0;
  const issue = (by: Ca, o: IssueOptions): KeyPair => {
    const stem = `${(o.file ?? o.cn).replace(/[^A-Za-z0-9_.-]/g, '_')}-${++n}`;
    const key = newKey(dir, stem);
    const csr = join(dir, `${stem}.csr`);
    const cert = join(dir, `${stem}.pem`);
    openssl(['req', '-new', '-key', key, '-subj', `/O=Leveret tests/CN=${o.cn}`, '-out', csr], dir);
    const usage = o.usage ?? (o.san !== undefined ? 'serverAuth' : 'clientAuth');
    const ext = join(dir, `${stem}.ext`);
    writeFileSync(
      ext,
      ['[leaf]', 'basicConstraints = CA:FALSE', `extendedKeyUsage = ${usage}`, ...(o.san === undefined ? [] : [`subjectAltName = ${o.san}`]), ''].join('\n'),
    );
    const dates = [...(o.startDate === undefined ? [] : ['-startdate', o.startDate]), ...(o.endDate === undefined ? [] : ['-enddate', o.endDate])];
    openssl(
      ['ca', '-batch', '-notext', '-rand_serial', '-config', join(by.dir, 'ca.cnf'), '-extfile', ext, '-extensions', 'leaf', ...dates, '-in', csr, '-out', cert],
      dir,
    );
    return { cert, key };
  };
  const SERVER = { cn: 'localhost', san: 'IP:127.0.0.1,DNS:localhost' };
  return {
    dir,
    ca,
    otherCa,
    server: issue(ca, SERVER),
    expiredServer: issue(ca, { ...SERVER, ...EXPIRED, file: 'expired-server' }),
    issue,
    client: (cn, options = {}) => issue(options.ca ?? ca, { usage: 'clientAuth', ...options, cn }),
    read: (path) => readFileSync(path),
  };
}

export function removePki(pki: Pki | undefined): void {
  if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true });
}

/** A serial number as upper-case hex without leading zeros, however it was printed. */
export function normalSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

/** The serial number of a PEM certificate (normalSerial's form). */
export function serialOf(certPath: string): string {
  const out = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-serial'], { encoding: 'utf8' });
  return normalSerial(out.trim().replace(/^serial=/, ''));
}
