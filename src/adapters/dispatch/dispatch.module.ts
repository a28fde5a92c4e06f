import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { Application } from '../app/application.js';
import { Metrics } from '../metrics/metrics.js';
import { APPLICATION } from './application-token.js';
import { Dispatcher } from './dispatcher.js';
import { driftHandlers } from './drift.js';
import { dropletHandlers } from './droplets.js';
import { iacHandlers } from './iac.js';
import { inventoryHandlers } from './inventory.js';
import { sagaHandlers } from './sagas.js';
import { specHandlers } from './specs.js';
import { tokenHandlers } from './tokens.js';

/**
 * The CommandBus and QueryBus with every handler, and the Dispatcher in front of them: what the
 * HTTP app and the CLI's application context both import.
 */
@Module({})
export class DispatchModule {
  static forRoot(application: Application, metrics: Metrics): DynamicModule {
    return {
      module: DispatchModule,
      imports: [CqrsModule.forRoot()],
      providers: [
        { provide: APPLICATION, useValue: application },
        { provide: Metrics, useValue: metrics },
        Dispatcher,
        ...sagaHandlers,
        ...dropletHandlers,
        ...driftHandlers,
        ...inventoryHandlers,
        ...specHandlers,
        ...iacHandlers,
        ...tokenHandlers,
      ],
      exports: [Dispatcher],
    };
  }
}
