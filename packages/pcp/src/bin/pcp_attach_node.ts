#!/usr/bin/env node
import { main } from '../cli/run';

main('pcp_attach_node');
