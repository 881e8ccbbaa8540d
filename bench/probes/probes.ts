/** Every probe, by its number in issue 11. */
import { utf8Probe } from './p01-utf8';
import { propertiesProbe } from './p02-properties';
import { outputBufferingProbe } from './p03-output-buffering';
import { regexProbe } from './p04-regex';
import { permissionsProbe } from './p05-permissions';
import { hugeBodiesProbe } from './p06-huge-bodies';
import { csrfProbe } from './p07-csrf';
import { quadraticProbe } from './p08-quadratic';
import { deepArgumentsProbe } from './p09-deep-arguments';
import { connectionsProbe } from './p10-connections';
import { loginsProbe } from './p11-logins';
import type { Probe } from './types';

export const PROBES: Probe[] = [
  utf8Probe,
  propertiesProbe,
  outputBufferingProbe,
  regexProbe,
  permissionsProbe,
  hugeBodiesProbe,
  csrfProbe,
  quadraticProbe,
  deepArgumentsProbe,
  connectionsProbe,
  loginsProbe,
];
