// Entry of the extension-host test suite. The same run() serves @vscode/test-electron (with internet) and the
// code-server launcher here (runExtensionTests.ts, via the workbench's `payload` extensionTestsPath).
import Mocha from 'mocha';
import type * as VSCode from 'vscode';
import { captureEditorSuite } from './suite/captureEditor';
import { hostileSuite } from './suite/hostile';
import { lifecycleSuite } from './suite/lifecycle';

export function run(): Promise<void> {
  // Required here, not imported: only the extension host has 'vscode', and `node --test out/test/` loads this file.
  const vscode = require('vscode') as typeof VSCode;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  // What mocha does before loading a test file: install suite/test/... as globals for the tdd interface.
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, 'captureEditor', mocha);
  captureEditorSuite(vscode);
  hostileSuite(vscode);
  lifecycleSuite(vscode);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension test(s) failed`)) : resolve()));
  });
}
