import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000EventStore } from './Migration20261122000000EventStore.js';
import { Migration20261122000100ProjectionCheckpoints } from './Migration20261122000100ProjectionCheckpoints.js';
import { Migration20261122000200ApiTokens } from './Migration20261122000200ApiTokens.js';
import { Migration20261122000300IacState } from './Migration20261122000300IacState.js';
import { Migration20261122000400Sagas } from './Migration20261122000400Sagas.js';
import { Migration20261122000500Inventory } from './Migration20261122000500Inventory.js';
import { Migration20261201000000BatchAppend } from './Migration20261201000000BatchAppend.js';
import { Migration20261201000100DriftPrefilter } from './Migration20261201000100DriftPrefilter.js';
import { Migration20261202000000Trust } from './Migration20261202000000Trust.js';
import { Migration20261202000100SagaLeases } from './Migration20261202000100SagaLeases.js';
import { Migration20261203000000DropUnusedReadModels } from './Migration20261203000000DropUnusedReadModels.js';
import { Migration20261204000000DesiredState } from './Migration20261204000000DesiredState.js';
import { Migration20261205000000ConsoleFilters } from './Migration20261205000000ConsoleFilters.js';
import { Migration20261206000000LeanAppend } from './Migration20261206000000LeanAppend.js';

/** Listed, not globbed: the same list runs from the TypeScript sources in tests and from dist/. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000000EventStore', class: Migration20261122000000EventStore },
  { name: 'Migration20261122000100ProjectionCheckpoints', class: Migration20261122000100ProjectionCheckpoints },
  { name: 'Migration20261122000200ApiTokens', class: Migration20261122000200ApiTokens },
  { name: 'Migration20261122000300IacState', class: Migration20261122000300IacState },
  { name: 'Migration20261122000400Sagas', class: Migration20261122000400Sagas },
  { name: 'Migration20261122000500Inventory', class: Migration20261122000500Inventory },
  { name: 'Migration20261201000000BatchAppend', class: Migration20261201000000BatchAppend },
  { name: 'Migration20261201000100DriftPrefilter', class: Migration20261201000100DriftPrefilter },
  { name: 'Migration20261202000000Trust', class: Migration20261202000000Trust },
  { name: 'Migration20261202000100SagaLeases', class: Migration20261202000100SagaLeases },
  { name: 'Migration20261203000000DropUnusedReadModels', class: Migration20261203000000DropUnusedReadModels },
  { name: 'Migration20261204000000DesiredState', class: Migration20261204000000DesiredState },
  { name: 'Migration20261205000000ConsoleFilters', class: Migration20261205000000ConsoleFilters },
  { name: 'Migration20261206000000LeanAppend', class: Migration20261206000000LeanAppend },
];
