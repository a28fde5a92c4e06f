import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Dispatcher } from '../../../src/adapters/dispatch/dispatcher.js';
import { DriftController } from '../../../src/adapters/http/drift/drift.controller.js';
import { DropletsController } from '../../../src/adapters/http/droplets/droplets.controller.js';
import { IacStatesController } from '../../../src/adapters/http/iac/iac-states.controller.js';
import { InventoryController } from '../../../src/adapters/http/inventory/inventory.controller.js';
import { SagasController } from '../../../src/adapters/http/saga/sagas.controller.js';
import { TokensController } from '../../../src/adapters/http/tokens/tokens.controller.js';
import { moduleSpecifiers } from './module-specifiers.js';

const cliRoot = fileURLToPath(new URL('../../../src/adapters/cli/', import.meta.url));

/**
 * The CLI commands that work on the infrastructure itself, not the application: rebuilding and
 * resuming projections, reading the raw log, running the simulator. They have no command to send.
 */
const OPERATIONAL = ['events.command.ts', 'projections.command.ts', 'simulator.command.ts'];

describe('the entry points dispatch', () => {
  it('every feature controller is given the Dispatcher and nothing else', () => {
    // given the controllers of the application's routes (health, docs and metrics are the edge's own)
    const controllers = [SagasController, DropletsController, DriftController, InventoryController, IacStatesController, TokensController];

    // when what Nest injects into each is read / then it is the Dispatcher alone
    for (const controller of controllers) {
      expect({ controller: controller.name, injects: Reflect.getMetadata('design:paramtypes', controller) }).toEqual({ controller: controller.name, injects: [Dispatcher] });
    }
  });

  it('every CLI command that acts on the application goes through withApplication, not the infrastructure', () => {
    // given the CLI's command files
    const files = readdirSync(cliRoot).filter((name) => name.endsWith('.command.ts'));
    expect(files.length).toBeGreaterThan(OPERATIONAL.length);

    // when their imports are read
    const reaching = files
      .filter((name) => !OPERATIONAL.includes(name))
      .filter((name) => moduleSpecifiers({ path: `${cliRoot}${name}`, text: readFileSync(`${cliRoot}${name}`, 'utf8') }).some((m) => m.specifier === './with-infrastructure.js'));

    // then none but the operational ones opens the infrastructure itself
    expect(reaching).toEqual([]);
  });
});
