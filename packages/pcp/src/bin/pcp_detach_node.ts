#!/usr/bin/env node
import { main } from '../cli/run';

main('pcp_detach_node');
